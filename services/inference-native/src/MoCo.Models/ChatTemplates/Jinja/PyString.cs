using System.Text;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>Python str semantics the templates rely on: lengths, indices and slices count code points (not
/// UTF-16 units), whitespace is Python's isspace(), split() without a separator drops empty fields.</summary>
internal static class PyString
{
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static int[] CodePoints(string s)
    {
        var points = new List<int>(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            points.Add(rune.Value);
        }
        return [.. points];
    }

    public static string FromCodePoints(IEnumerable<int> points)
    {
        var sb = new StringBuilder();
        foreach (var p in points)
        {
            sb.Append(char.ConvertFromUtf32(p));
        }
        return sb.ToString();
    }

    public static int Length(string s) => HasSurrogates(s) ? CodePoints(s).Length : s.Length;

    public static IEnumerable<string> Characters(string s)
    {
        foreach (var rune in s.EnumerateRunes())
        {
            yield return rune.ToString();
        }
    }

    public static string Strip(string s, string? chars, bool left = true, bool right = true)
    {
        Func<char, bool> strip = chars is null ? IsSpace : chars.Contains;
        var start = 0;
        var end = s.Length;
        while (left && start < end && strip(s[start]))
        {
            start++;
        }
        while (right && end > start && strip(s[end - 1]))
        {
            end--;
        }
        return s[start..end];
    }

    public static List<object?> Split(string s, string? separator, long maxSplit)
    {
        var parts = new List<object?>();
        if (separator is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i]))
                {
                    i++;
                }
                if (i >= s.Length)
                {
                    break;
                }
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(Strip(s[i..], null, left: false));
                    break;
                }
                var start = i;
                while (i < s.Length && !IsSpace(s[i]))
                {
                    i++;
                }
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (separator.Length == 0)
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Runtime, "empty separator");
        }
        var from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            var at = s.IndexOf(separator, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }
            parts.Add(s[from..at]);
            from = at + separator.Length;
        }
        parts.Add(s[from..]);
        return parts;
    }

    public static List<object?> RSplit(string s, string? separator, long maxSplit)
    {
        if (separator is null || maxSplit < 0)
        {
            return Split(s, separator, maxSplit);
        }
        var parts = new List<object?>();
        var end = s.Length;
        while (parts.Count < maxSplit)
        {
            var at = end == 0 ? -1 : s.LastIndexOf(separator, end - 1, StringComparison.Ordinal);
            if (at < 0 || at + separator.Length > end)
            {
                break;
            }
            parts.Insert(0, s[(at + separator.Length)..end]);
            end = at;
        }
        parts.Insert(0, s[..end]);
        return parts;
    }

    /// <summary>str.splitlines(): breaks at \n, \r, \r\n and the other line boundaries Python knows.</summary>
    public static List<string> SplitLines(string s, bool keepEnds = false)
    {
        var lines = new List<string>();
        var start = 0;
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            var width = c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2
                : c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029' ? 1 : 0;
            if (width == 0)
            {
                i++;
                continue;
            }
            lines.Add(keepEnds ? s[start..(i + width)] : s[start..i]);
            i += width;
            start = i;
        }
        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }
        return lines;
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0)
        {
            return old.Length == 0 ? InsertBetween(s, replacement, long.MaxValue) : s.Replace(old, replacement, StringComparison.Ordinal);
        }
        if (old.Length == 0)
        {
            return InsertBetween(s, replacement, count);
        }
        var sb = new StringBuilder();
        var from = 0;
        for (var n = 0; n < count; n++)
        {
            var at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }
            sb.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    private static string InsertBetween(string s, string replacement, long count)
    {
        var sb = new StringBuilder();
        long n = 0;
        foreach (var c in Characters(s))
        {
            if (n++ < count)
            {
                sb.Append(replacement);
            }
            sb.Append(c);
        }
        if (n < count)
        {
            sb.Append(replacement);
        }
        return sb.ToString();
    }

    /// <summary>Python's str.title(): a cased character after an uncased one starts a word.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var rune in s.EnumerateRunes())
        {
            var text = rune.ToString();
            var cased = Rune.IsLetter(rune) && (Rune.IsUpper(rune) || Rune.IsLower(rune) || Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.TitlecaseLetter);
            sb.Append(previousCased ? text.ToLowerInvariant() : text.ToUpperInvariant());
            previousCased = cased;
        }
        return sb.ToString();
    }

    /// <summary>Python's str.capitalize(): first character upper case, the rest lower case.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : Characters(s).First().ToUpperInvariant() + s[Characters(s).First().Length..].ToLowerInvariant();

    private static bool HasSurrogates(string s)
    {
        foreach (var c in s)
        {
            if (char.IsSurrogate(c))
            {
                return true;
            }
        }
        return false;
    }
}
