using System.Globalization;
using System.Text;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// Python's string semantics where the reference's metrics depend on them (evaluation.md §2.0): whitespace is
/// str.isspace (U+001C–001F included, which .NET's Trim and \s leave out), word characters are str.isalnum or
/// '_', and lowercasing is Unicode (accepted divergence: U+0130 and final sigma, where Python's full case mapping
/// differs from .NET's simple one).
/// </summary>
public static class PythonText
{
    /// <summary>The regex class of Python's `\s` for .NET patterns (.NET's `\s` misses U+001C–U+001F).</summary>
    public const string SpaceClass = @"[\s\x1C-\x1F]";

    /// <summary>Python str.isspace for one UTF-16 unit (no whitespace lies outside the BMP).</summary>
    public static bool IsSpace(char c) => c switch
    {
        >= '\u0009' and <= '\u000D' => true,
        >= '\u001C' and <= '\u0020' => true,
        '\u0085' or '\u00A0' or '\u1680' or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        >= '\u2000' and <= '\u200A' => true,
        _ => false,
    };

    /// <summary>Python str.strip() without arguments.</summary>
    public static string Strip(string s)
    {
        var start = 0;
        var end = s.Length;
        while (start < end && IsSpace(s[start]))
        {
            start++;
        }
        while (end > start && IsSpace(s[end - 1]))
        {
            end--;
        }
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary>Python str.rstrip() without arguments.</summary>
    public static string RStrip(string s)
    {
        var end = s.Length;
        while (end > 0 && IsSpace(s[end - 1]))
        {
            end--;
        }
        return end == s.Length ? s : s[..end];
    }

    /// <summary>Python str.lower().</summary>
    public static string Lower(string s) => s.ToLowerInvariant();

    /// <summary>Python str.split() without arguments: whitespace runs separate, ends ignored.</summary>
    public static List<string> Split(string s)
    {
        var parts = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && IsSpace(s[i]))
            {
                i++;
            }
            var start = i;
            while (i < s.Length && !IsSpace(s[i]))
            {
                i++;
            }
            if (i > start)
            {
                parts.Add(s[start..i]);
            }
        }
        return parts;
    }

    /// <summary>Whether the code point at <paramref name="index"/> is a Python regex word character
    /// (str.isalnum() or '_'); false outside the string.</summary>
    public static bool IsWordAt(string s, int index)
    {
        if (index < 0 || index >= s.Length)
        {
            return false;
        }
        if (Rune.TryGetRuneAt(s, index, out var rune))
        {
            return IsWord(rune);
        }
        // A low surrogate: look at the pair it ends.
        return index > 0 && Rune.TryGetRuneAt(s, index - 1, out rune) && IsWord(rune);
    }

    private static bool IsWord(Rune rune) => rune.Value == '_' || Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
        _ => false,
    };
}
