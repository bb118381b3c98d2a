using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using MoCo.Evaluator.Errors;
using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Datasets;

/// <summary>Reads a MoCo-format file (evaluation.md §1.1): one UTF-8 JSON object with `dev` and `test` arrays of
/// item objects. Syntax errors give line and column; structural problems name the split and index.</summary>
public static class DatasetReader
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 256 };

    /// <summary>Reads and parses <paramref name="path"/> as task <paramref name="task"/>.</summary>
    public static DatasetFile Read(string path, string task)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, null, $"cannot read the file: {e.Message}", "check the path and its permissions");
        }
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes, Options);
            // A clone owns its memory, so the parsed tree outlives the pooled document.
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var (line, column) = Position(bytes, e);
            throw Invalid(path, "$", $"{System.IO.Path.GetFileName(path)}:{line}:{column}: invalid JSON: {Clean(e.Message)}",
                "fix the JSON syntax at that line and column");
        }

        var name = System.IO.Path.GetFileName(path);
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "$", $"{name}: expected a JSON object with \"dev\" and \"test\" arrays, got {JsonKinds.Describe(root.ValueKind)}",
                "write the file as {\"task_type\": …, \"dev\": [ … ], \"test\": [ … ]}");
        }

        var problems = new List<Problem>();
        var dev = Split(root, "dev", name, problems);
        var test = Split(root, "test", name, problems);
        var declared = OptionalString(root, "task_type", name, problems);
        var groupBy = OptionalString(root, "group_by", name, problems);
        if (problems.Count > 0)
        {
            throw new EvaluatorException(StatusCode.InvalidArgument, $"{name}: malformed dataset file", problems);
        }
        return new DatasetFile(task, System.IO.Path.GetFullPath(path), sha, declared, groupBy, dev, test);
    }

    private static IReadOnlyList<DatasetItem>? Split(JsonElement root, string split, string file, List<Problem> problems)
    {
        if (!root.TryGetProperty(split, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            problems.Add(Problem(split, $"{file}: {split}: expected an array of items, got {JsonKinds.Describe(array.ValueKind)}",
                $"make \"{split}\" an array of item objects"));
            return null;
        }
        var items = new List<DatasetItem>(array.GetArrayLength());
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                problems.Add(Problem($"{split}[{index}]", $"{file}: {split}[{index}]: expected an item object, got {JsonKinds.Describe(element.ValueKind)}",
                    "every item is a JSON object of fields"));
            }
            items.Add(new DatasetItem(index++, element));
        }
        return items;
    }

    private static string? OptionalString(JsonElement root, string key, string file, List<Problem> problems)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }
        problems.Add(Problem(key, $"{file}: {key}: expected a string, got {JsonKinds.Describe(value.ValueKind)}", $"write \"{key}\" as a string or remove it"));
        return null;
    }

    private static Problem Problem(string field, string description, string fix) =>
        new(field, Reasons.InvalidDataset, description, new Dictionary<string, string> { ["fix"] = fix });

    private static EvaluatorException Invalid(string path, string? field, string description, string fix) =>
        EvaluatorException.Single(StatusCode.InvalidArgument, field ?? "task", Reasons.InvalidDataset, description, fix,
            new Dictionary<string, string> { ["file"] = path });

    // The reader reports 0-based lines and byte offsets; people count lines and characters from 1.
    private static (long Line, long Column) Position(byte[] bytes, JsonException e)
    {
        var line = e.LineNumber ?? 0;
        var offset = e.BytePositionInLine ?? 0;
        var start = 0;
        for (long l = 0; l < line && start < bytes.Length; l++)
        {
            var next = Array.IndexOf(bytes, (byte)'\n', start);
            start = next < 0 ? bytes.Length : next + 1;
        }
        var length = (int)Math.Min(offset, bytes.Length - start);
        var column = Encoding.UTF8.GetCharCount(bytes, start, Math.Max(0, length));
        return (line + 1, column + 1);
    }

    private static string Clean(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd('.', ' ');
    }
}
