using System.Globalization;
using System.Text;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>
/// The tojson filter as transformers replaces it: Python's json.dumps(x, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys) — no HTML escaping (jinja2's own tojson would turn &lt; into
/// \u003c), ", " and ": " separators without indent, "," and ": " with it, non-ASCII kept as is.
/// </summary>
internal static class JinjaJson
{
    public static string Dumps(object? value, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, itemSeparator, keySeparator, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, string? indent, string itemSep, string keySep, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                return;
            case bool b:
                sb.Append(b ? "true" : "false");
                return;
            case long l:
                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                return;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyFormat.Float(d));
                return;
            case string s:
                WriteString(sb, s);
                return;
            case PyDict dict:
                var pairs = dict.Select(kv => (Key: KeyText(kv.Key), kv.Value)).ToList();
                if (sortKeys)
                {
                    pairs.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
                }
                WriteContainer(sb, '{', '}', pairs.Count, i =>
                {
                    WriteString(sb, pairs[i].Key);
                    sb.Append(keySep);
                    Write(sb, pairs[i].Value, indent, itemSep, keySep, sortKeys, depth + 1);
                }, indent, itemSep, depth);
                return;
            case IReadOnlyList<object?> list:
                WriteContainer(sb, '[', ']', list.Count, i => Write(sb, list[i], indent, itemSep, keySep, sortKeys, depth + 1), indent, itemSep, depth);
                return;
            default:
                throw PyOps.Runtime($"Object of type {PyFormat.TypeName(value)} is not JSON serializable");
        }
    }

    private static void WriteContainer(StringBuilder sb, char open, char close, int count, Action<int> item, string? indent, string itemSep, int depth)
    {
        sb.Append(open);
        if (count == 0)
        {
            sb.Append(close);
            return;
        }
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                sb.Append(itemSep);
            }
            if (indent is not null)
            {
                sb.Append('\n').Append(string.Concat(Enumerable.Repeat(indent, depth + 1)));
            }
            item(i);
        }
        if (indent is not null)
        {
            sb.Append('\n').Append(string.Concat(Enumerable.Repeat(indent, depth)));
        }
        sb.Append(close);
    }

    /// <summary>json.dumps turns non-string keys into strings: True → "true", None → "null", numbers as printed.</summary>
    private static string KeyText(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyFormat.Float(d),
        _ => throw PyOps.Runtime($"keys must be str, int, float, bool or None, not {PyFormat.TypeName(key)}"),
    };

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
