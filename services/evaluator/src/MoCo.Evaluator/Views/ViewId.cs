using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;

namespace MoCo.Evaluator.Views;

/// <summary>
/// View ids that any replica resolves without server state (evaluation.md §5.1): the hex SHA-256 of the canonical
/// request fields plus the file's SHA-256, followed by those fields themselves (base64url of their canonical
/// JSON), so a replica that never saw the LoadDataset call rebuilds the view and checks the file is unchanged.
/// Form: <c>&lt;64 hex&gt;.&lt;base64url&gt;</c>.
/// </summary>
public static class ViewId
{
    /// <summary>The id of <paramref name="request"/> over a file with <paramref name="fileSha256"/>.</summary>
    public static string Create(ViewRequest request, string fileSha256)
    {
        var payload = Canonical(request, fileSha256);
        return Convert.ToHexStringLower(SHA256.HashData(payload)) + "." + Base64Url(payload);
    }

    /// <summary>The request and file hash an id stands for; NOT_FOUND naming <paramref name="field"/> when the id is not
    /// one of ours.</summary>
    public static (ViewRequest Request, string FileSha256) Parse(string viewId, string field = "header.view_id")
    {
        var dot = viewId.IndexOf('.');
        byte[] payload;
        try
        {
            payload = dot == 64 ? FromBase64Url(viewId[(dot + 1)..]) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw NotFound(viewId, field);
        }
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(payload)), viewId[..64], StringComparison.Ordinal))
        {
            throw NotFound(viewId, field);
        }
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            string? Str(string key) => root.GetProperty(key).ValueKind == JsonValueKind.Null ? null : root.GetProperty(key).GetString();
            TaskType? type = Str("task_type") is { } name && TaskTypeNames.TryParse(name, out var t) ? t : null;
            var limit = root.GetProperty("limit").ValueKind == JsonValueKind.Null ? (int?)null : root.GetProperty("limit").GetInt32();
            var seed = root.GetProperty("limit_seed").ValueKind == JsonValueKind.Null ? (ulong?)null : root.GetProperty("limit_seed").GetUInt64();
            var split = Str("split") == "dev" ? DatasetSplit.Dev : DatasetSplit.Test;
            var dirs = root.GetProperty("data_dirs").EnumerateArray().Select(d => d.GetString()!).ToList();
            return (new ViewRequest(Str("task")!, split, type, limit, seed, Str("group_by"), dirs), Str("file_sha256")!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw NotFound(viewId, field);
        }
    }

    // Fixed key order, no whitespace: equal requests give equal bytes.
    private static byte[] Canonical(ViewRequest r, string fileSha256)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("data_dirs");
            foreach (var dir in r.DataDirectories)
            {
                json.WriteStringValue(dir);
            }
            json.WriteEndArray();
            json.WriteString("file_sha256", fileSha256);
            WriteNullable(json, "group_by", r.GroupBy);
            if (r.Limit is { } limit)
            {
                json.WriteNumber("limit", limit);
            }
            else
            {
                json.WriteNull("limit");
            }
            if (r.LimitSeed is { } seed)
            {
                json.WriteNumber("limit_seed", seed);
            }
            else
            {
                json.WriteNull("limit_seed");
            }
            json.WriteString("split", r.Split.Name());
            json.WriteString("task", r.Task);
            WriteNullable(json, "task_type", r.TaskType?.Name());
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter json, string key, string? value)
    {
        if (value is null)
        {
            json.WriteNull(key);
        }
        else
        {
            json.WriteString(key, value);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static EvaluatorException NotFound(string viewId, string field) =>
        EvaluatorException.Single(StatusCode.NotFound, field, Reasons.ViewNotFound,
            $"view id \"{(viewId.Length > 80 ? viewId[..80] + "…" : viewId)}\" is not a view id of this evaluator",
            "use the view_id of a LoadDataset reply unchanged, or send the dataset fields instead");
}
