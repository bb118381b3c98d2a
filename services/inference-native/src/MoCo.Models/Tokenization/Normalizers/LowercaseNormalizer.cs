using System.Globalization;
using System.Text;

namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>
/// HF "Lowercase", which is Rust's <c>str::to_lowercase</c>: Unicode full lowercase mapping. .NET's invariant
/// mapping is the simple one, so the two places where they differ are handled here: U+0130 (İ) lowercases to
/// "i̇", and Σ becomes final ς at the end of a word (Unicode's Final_Sigma condition).
/// </summary>
internal sealed class LowercaseNormalizer : Normalizer
{
    private const int CapitalIWithDot = 0x130, CapitalSigma = 0x3A3;

    public override string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        int index = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case CapitalIWithDot:
                    builder.Append("i\u0307");
                    break;
                case CapitalSigma:
                    builder.Append(IsFinalSigma(text, index) ? 'ς' : 'σ');
                    break;
                default:
                    builder.Append(Rune.ToLowerInvariant(rune).ToString());
                    break;
            }
            index += rune.Utf16SequenceLength;
        }
        string result = builder.ToString();
        return result == text ? text : result;
    }

    // Final_Sigma: preceded by a cased letter and not followed by one, skipping case-ignorable characters.
    private static bool IsFinalSigma(string text, int index)
    {
        return CasedBefore(text, index) && !CasedAfter(text, index + 1);
    }

    private static bool CasedBefore(string text, int end)
    {
        while (end > 0)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, end), out Rune rune, out int length);
            end -= length;
            if (!IsCaseIgnorable(rune))
            {
                return IsCased(rune);
            }
        }
        return false;
    }

    private static bool CasedAfter(string text, int start)
    {
        while (start < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(start), out Rune rune, out int length);
            start += length;
            if (!IsCaseIgnorable(rune))
            {
                return IsCased(rune);
            }
        }
        return false;
    }

    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    // Case_Ignorable: marks, format characters, modifiers, and the word-internal punctuation of UAX #29
    // (apostrophes, full stop, colon, middle dot).
    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
