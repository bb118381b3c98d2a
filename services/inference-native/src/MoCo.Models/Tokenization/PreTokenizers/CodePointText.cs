using System.Globalization;
using System.Text.RegularExpressions;

namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>
/// Lets .NET's UTF-16 regex engine match split patterns by code point, as HF's Oniguruma does. .NET sees a
/// character outside the BMP as two surrogates of category Cs, so "😀Great" or "word𝑥's" would split
/// differently; instead the regex runs on a stand-in text where each such character is one BMP character
/// of the same general category, and match positions are mapped back. A lone surrogate stands in as
/// U+FFFD, which is what it is encoded as.
/// </summary>
internal static class CodePointText
{
    // One stand-in per general category: non-ASCII, not whitespace, and matching no ASCII letter even
    // case-insensitively, so literals such as (?i:'s) treat it as they would the real character.
    private static readonly char[] StandIns = BuildStandIns();

    /// <summary>True when the text holds surrogates and needs a stand-in text.</summary>
    public static bool NeedsStandIn(ReadOnlySpan<char> text) => text.ContainsAnyInRange('\uD800', '\uDFFF');

    /// <summary>
    /// Writes the stand-in text into <paramref name="standIn"/> and, for each of its characters plus the end,
    /// the offset in <paramref name="text"/> into <paramref name="offsets"/>; both need text.Length + 1 room.
    /// Returns the stand-in's length.
    /// </summary>
    public static int Create(ReadOnlySpan<char> text, Span<char> standIn, Span<int> offsets)
    {
        int length = 0;
        for (int i = 0; i < text.Length;)
        {
            offsets[length] = i;
            char c = text[i];
            if (!char.IsSurrogate(c))
            {
                standIn[length++] = c;
                i++;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                standIn[length++] = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]))];
                i += 2;
            }
            else
            {
                standIn[length++] = '\uFFFD';
                i++;
            }
        }
        offsets[length] = text.Length;
        return length;
    }

    private static char[] BuildStandIns()
    {
        var asciiLetter = new Regex("(?i:[a-z])", RegexOptions.CultureInvariant);
        var table = new char[Enum.GetValues<UnicodeCategory>().Length];
        foreach (UnicodeCategory category in Enum.GetValues<UnicodeCategory>())
        {
            for (int c = 0xA0; c < 0x10000; c++)
            {
                char candidate = (char)c;
                if (!char.IsSurrogate(candidate) && char.GetUnicodeCategory(candidate) == category && !char.IsWhiteSpace(candidate)
                    && !asciiLetter.IsMatch(candidate.ToString()))
                {
                    table[(int)category] = candidate;
                    break;
                }
            }
        }
        // Categories with no usable BMP member (surrogates, separators) never occur outside the BMP.
        return table;
    }
}
