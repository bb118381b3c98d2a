using System.Globalization;
using System.Text;

namespace MoCo.Hosting.Json;

/// <summary>JSON string literals with the minimal escapes RFC 8785 and Python's json.dumps share: <c>\" \\ \b \f \n \r \t</c>,
/// every other control character as <c>\u00XX</c>; with <c>ascii</c> (json.dumps' ensure_ascii) every UTF-16 code unit
/// above 0x7E as <c>\uXXXX</c> too, so a character outside the BMP becomes its surrogate pair, as Python writes it.</summary>
public static class JsonStrings
{
    /// <summary>Appends <paramref name="s"/> as a quoted JSON string.</summary>
    public static void Write(StringBuilder sb, string s, bool ascii = false)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(s);
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7E))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }
}
