using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Hosting.Json;

namespace MoCo.Orchestrator.Logs;

/// <summary>
/// Python's `json.dump(obj, f, indent=4)` (config-and-cli.md §3.1): 4-space indent, `": "` after keys, one element
/// per line, `[]`/`{}` when empty, no final newline, ASCII only with `\uXXXX` (lowercase hex, surrogate pairs), short
/// escapes, `/` unescaped, floats as Python repr, ints as ints, NaN/Infinity literals. With <c>ensureAscii</c> false
/// (text_sparta) non-ASCII text is written as UTF-8.
/// </summary>
public static class PyJsonWriter
{
    /// <summary>The text of <paramref name="node"/>. Numbers stored as integers (int, long, or an integer literal)
    /// print as ints; doubles print as Python floats. <paramref name="indent"/> is `json.dump`'s indent (side files
    /// written with `indent=2`, e.g. text_sparta's).</summary>
    public static string Serialize(JsonNode? node, bool ensureAscii = true, int indent = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(indent);
        var sb = new StringBuilder();
        Write(sb, node, 0, new Style(ensureAscii, indent));
        return sb.ToString();
    }

    private readonly record struct Style(bool Ascii, int Indent);

    private static void Write(StringBuilder sb, JsonNode? node, int depth, Style style)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o when o.Count == 0:
                sb.Append("{}");
                break;
            case JsonObject o:
                sb.Append("{\n");
                var i = 0;
                foreach (var (key, value) in o)
                {
                    Indent(sb, depth + 1, style);
                    JsonStrings.Write(sb, key, style.Ascii);
                    sb.Append(": ");
                    Write(sb, value, depth + 1, style);
                    sb.Append(++i < o.Count ? ",\n" : "\n");
                }
                Indent(sb, depth, style);
                sb.Append('}');
                break;
            case JsonArray a when a.Count == 0:
                sb.Append("[]");
                break;
            case JsonArray a:
                sb.Append("[\n");
                for (var k = 0; k < a.Count; k++)
                {
                    Indent(sb, depth + 1, style);
                    Write(sb, a[k], depth + 1, style);
                    sb.Append(k + 1 < a.Count ? ",\n" : "\n");
                }
                Indent(sb, depth, style);
                sb.Append(']');
                break;
            case JsonValue v:
                WriteValue(sb, v, style.Ascii);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue v, bool ascii)
    {
        if (v.TryGetValue<double>(out var d) && !v.TryGetValue<long>(out _) && !v.TryGetValue<int>(out _))
        {
            sb.Append(PyFloat.Repr(d));
            return;
        }
        if (v.TryGetValue<float>(out var f) && !v.TryGetValue<long>(out _) && !v.TryGetValue<int>(out _))
        {
            sb.Append(PyFloat.Repr(f));
            return;
        }
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                JsonStrings.Write(sb, v.GetValue<string>(), ascii);
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Number:
                sb.Append(Number(v));
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    // A number parsed from JSON text: integer literals stay ints, anything with a fraction or exponent is a Python float.
    private static string Number(JsonValue v)
    {
        var raw = v.ToJsonString();
        if (raw.IndexOfAny(['.', 'e', 'E']) < 0)
        {
            return raw;
        }
        return PyFloat.Repr(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private static void Indent(StringBuilder sb, int depth, Style style) => sb.Append(' ', depth * style.Indent);
}
