using System.Text;
using System.Text.Json;

namespace MoCo.Orchestrator.Config;

/// <summary>
/// A config file parsed as JSON with comments and trailing commas (config-and-cli.md §1.1), remembering where each
/// key and value is so every problem can be reported as `file:line:col` (§1.5). Duplicate keys are CFG001
/// (Python would keep the last one silently); a syntax error is CFG001 with its line and column.
/// </summary>
public sealed class ConfigDocument
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 };
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 };

    private readonly Dictionary<string, (int Line, int Column)> _keys;
    private readonly Dictionary<string, (int Line, int Column)> _values;

    private ConfigDocument(string name, string text, JsonElement root, Dictionary<string, (int, int)> keys, Dictionary<string, (int, int)> values)
    {
        Name = name;
        Text = text;
        Root = root;
        _keys = keys;
        _values = values;
    }

    /// <summary>File name for messages.</summary>
    public string Name { get; }

    /// <summary>The config as written.</summary>
    public string Text { get; }

    /// <summary>The parsed root (owned by this document, not pooled).</summary>
    public JsonElement Root { get; }

    /// <summary>Where the key of <paramref name="path"/> is; (0, 0) when unknown (e.g. the root).</summary>
    public (int Line, int Column) KeyAt(string path) => _keys.TryGetValue(path, out var at) ? at : ValueAt(path);

    /// <summary>Where the value of <paramref name="path"/> starts; (0, 0) when unknown.</summary>
    public (int Line, int Column) ValueAt(string path) => _values.TryGetValue(path, out var at) ? at : (0, 0);

    /// <summary>Parses <paramref name="text"/>; null plus the problems (syntax, duplicate keys) when it is not a usable
    /// document. Duplicate keys leave a document, so the rest of validation still reports its own problems.</summary>
    public static (ConfigDocument? Document, IReadOnlyList<ConfigProblem> Problems) Parse(string text, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lines = LineStarts(bytes);
        var keys = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var values = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var problems = new List<ConfigProblem>();
        try
        {
            Scan(bytes, lines, keys, values, problems);
            using var document = JsonDocument.Parse(bytes, DocumentOptions);
            return (new ConfigDocument(name, text, document.RootElement.Clone(), keys, values), problems);
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var column = (int)(e.BytePositionInLine ?? 0) + 1;
            problems.Add(new ConfigProblem(ConfigCodes.Syntax, "", line, column, $"invalid JSON: {Clean(e.Message)}",
                "fix the JSON syntax at this position (comments and trailing commas are allowed)"));
            return (null, problems);
        }
    }

    // Walks the tokens once, keeping a path stack, to record positions and catch duplicate keys.
    private static void Scan(byte[] bytes, int[] lines, Dictionary<string, (int, int)> keys, Dictionary<string, (int, int)> values,
        List<ConfigProblem> problems)
    {
        var reader = new Utf8JsonReader(bytes, ReaderOptions);
        var stack = new Stack<Frame>();
        string? pendingKey = null;
        while (reader.Read())
        {
            var at = Position(bytes, lines, (int)reader.TokenStartIndex);
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                var frame = stack.Peek();
                pendingKey = reader.GetString()!;
                var path = Join(frame.Path, pendingKey);
                if (!frame.Seen.Add(pendingKey))
                {
                    problems.Add(new ConfigProblem(ConfigCodes.Syntax, path, at.Line, at.Column, $"duplicate key \"{pendingKey}\"",
                        "keep one of the two entries (Python would silently use the last)"));
                }
                else
                {
                    keys[path] = at;
                }
                continue;
            }
            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                stack.Pop();
                continue;
            }
            var valuePath = stack.Count == 0 ? "" : stack.Peek().IsArray ? $"{stack.Peek().Path}[{stack.Peek().Index++}]" : Join(stack.Peek().Path, pendingKey!);
            values.TryAdd(valuePath, at);
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                stack.Push(new Frame(valuePath, reader.TokenType == JsonTokenType.StartArray));
            }
        }
    }

    private static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    private static int[] LineStarts(byte[] bytes)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }
        return [.. starts];
    }

    // Columns count characters, not bytes: UTF-8 continuation bytes are skipped.
    private static (int Line, int Column) Position(byte[] bytes, int[] lines, int offset)
    {
        var line = Array.BinarySearch(lines, offset);
        line = line >= 0 ? line : ~line - 1;
        var column = 1;
        for (var i = lines[line]; i < offset; i++)
        {
            column += (bytes[i] & 0xC0) == 0x80 ? 0 : 1;
        }
        return (line + 1, column);
    }

    // System.Text.Json appends its own "LineNumber: … | BytePositionInLine: …"; the location is given separately.
    private static string Clean(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public int Index { get; set; }
        public HashSet<string> Seen { get; } = new(StringComparer.Ordinal);
    }
}
