using System.Buffers;
using System.Text;

namespace MoCo.Models.Tokenization.AddedTokens;

/// <summary>
/// Cuts text at added tokens the way HF's AddedVocabulary does: leftmost-longest matches (its Aho-Corasick
/// automaton), a single_word token rejected inside a word (the search then resumes after it), lstrip and
/// rstrip extending the match over whitespace. A vectorised <see cref="SearchValues{T}"/> finds candidates,
/// so text without added tokens costs one scan.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly SearchValues<string> _search;
    private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> _byFirstChar;

    /// <param name="tokens">Each token with the text to look for (its normalised content for normalized tokens).</param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        var list = tokens.Where(t => t.Pattern.Length > 0).ToList();
        _search = SearchValues.Create(list.Select(t => t.Pattern).Distinct().ToArray(), StringComparison.Ordinal);
        _byFirstChar = list
            .GroupBy(t => t.Pattern[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Pattern.Length).ToArray());
        IsEmpty = list.Count == 0;
    }

    public bool IsEmpty { get; }

    /// <summary>Appends the non-empty segments of <paramref name="text"/> to <paramref name="output"/> (HF drops empty splits).</summary>
    public void Split(ReadOnlyMemory<char> text, bool atInputStart, List<TextSegment> output)
    {
        ReadOnlySpan<char> span = text.Span;
        if (IsEmpty)
        {
            if (!span.IsEmpty)
            {
                output.Add(new TextSegment(text, -1, atInputStart));
            }
            return;
        }
        int segmentStart = 0;
        int searchFrom = 0;
        while (searchFrom < span.Length)
        {
            int found = span[searchFrom..].IndexOfAny(_search);
            if (found < 0)
            {
                break;
            }
            int start = searchFrom + found;
            (string pattern, AddedToken token) = LongestAt(span, start);
            int stop = start + pattern.Length;
            searchFrom = stop;

            if (token.SingleWord && (EndsWithWordCharacter(span[..start]) || StartsWithWordCharacter(span[stop..])))
            {
                continue;
            }
            if (token.LStrip)
            {
                int stripped = start;
                while (stripped > 0 && IsWhiteSpaceBefore(span, stripped, out int width))
                {
                    stripped -= width;
                }
                start = Math.Max(stripped, segmentStart);
            }
            if (token.RStrip)
            {
                while (stop < span.Length && IsWhiteSpaceAt(span, stop, out int width))
                {
                    stop += width;
                }
            }
            if (segmentStart < start)
            {
                output.Add(new TextSegment(text[segmentStart..start], -1, atInputStart && segmentStart == 0));
            }
            output.Add(new TextSegment(text[start..stop], token.Id, false));
            segmentStart = stop;
        }
        if (segmentStart < span.Length)
        {
            output.Add(new TextSegment(text[segmentStart..], -1, atInputStart && segmentStart == 0));
        }
    }

    private (string Pattern, AddedToken Token) LongestAt(ReadOnlySpan<char> span, int start)
    {
        foreach ((string pattern, AddedToken token) candidate in _byFirstChar[span[start]])
        {
            if (span[start..].StartsWith(candidate.pattern, StringComparison.Ordinal))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("SearchValues reported a match that no added token starts.");
    }

    // HF's single_word test uses Rust's char::is_alphanumeric: letters and all numbers (Nd, Nl, No).
    private static bool EndsWithWordCharacter(ReadOnlySpan<char> text) =>
        !text.IsEmpty && Rune.DecodeLastFromUtf16(text, out Rune rune, out _) == OperationStatus.Done && IsAlphanumeric(rune);

    private static bool StartsWithWordCharacter(ReadOnlySpan<char> text) =>
        !text.IsEmpty && Rune.DecodeFromUtf16(text, out Rune rune, out _) == OperationStatus.Done && IsAlphanumeric(rune);

    private static bool IsAlphanumeric(Rune rune) => Rune.IsLetter(rune) || Rune.IsNumber(rune);

    private static bool IsWhiteSpaceBefore(ReadOnlySpan<char> span, int end, out int width) =>
        Rune.DecodeLastFromUtf16(span[..end], out Rune rune, out width) == OperationStatus.Done && Rune.IsWhiteSpace(rune);

    private static bool IsWhiteSpaceAt(ReadOnlySpan<char> span, int start, out int width) =>
        Rune.DecodeFromUtf16(span[start..], out Rune rune, out width) == OperationStatus.Done && Rune.IsWhiteSpace(rune);
}
