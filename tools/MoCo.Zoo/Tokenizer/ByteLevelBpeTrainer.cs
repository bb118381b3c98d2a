using System.Text;
using System.Text.RegularExpressions;
using MoCo.Models.Tokenization.Models;

namespace MoCo.Zoo.Tokenizer;

/// <summary>
/// Trains a byte-level BPE vocabulary as GPT-2 and Qwen2 do: text is split by the pre-tokenizer pattern, each
/// piece's UTF-8 bytes are written in GPT-2's byte alphabet, and the most frequent adjacent pair is merged until
/// the vocabulary is full. Ties go to the ordinally smallest pair, so training is deterministic.
/// </summary>
public static class ByteLevelBpeTrainer
{
    /// <summary>Qwen2's pre-tokenizer pattern: digits stay single (so arithmetic sees one token per digit).</summary>
    public const string SplitPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly Regex Splitter = new(SplitPattern, RegexOptions.CultureInvariant);

    /// <summary>Learns merges from <paramref name="texts"/> until the vocabulary (bytes, merges and
    /// <paramref name="specialTokens"/>) holds <paramref name="vocabularySize"/> entries, or no pair repeats.</summary>
    public static BpeVocabulary Train(IEnumerable<string> texts, int vocabularySize, IReadOnlyList<string> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(specialTokens);
        var mergeBudget = vocabularySize - 256 - specialTokens.Count;
        ArgumentOutOfRangeException.ThrowIfNegative(mergeBudget, nameof(vocabularySize));

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (Match piece in Splitter.Matches(text))
            {
                var word = ToAlphabet(piece.Value);
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        var words = counts.OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => (Symbols: w.Key.Select(c => c.ToString()).ToList(), Count: w.Value)).ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ByteToChar[b].ToString()).ToList();
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        var merges = new List<(string Left, string Right)>();
        while (tokens.Count < 256 + mergeBudget)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    pairs[pair] = pairs.GetValueOrDefault(pair) + count;
                }
            }
            var best = pairs.Where(p => p.Value >= 2)
                .OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Item2, StringComparer.Ordinal)
                .Select(p => ((string, string)?)p.Key).FirstOrDefault();
            if (best is not { } merge)
            {
                break;
            }
            merges.Add(merge);
            var joined = merge.Item1 + merge.Item2;
            // Two merge paths can spell one string (ab+c, a+bc): HF vocabularies hold each string once.
            if (known.Add(joined))
            {
                tokens.Add(joined);
            }
            foreach (var (symbols, _) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == merge.Item1 && symbols[i + 1] == merge.Item2)
                    {
                        symbols[i] = joined;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        return new BpeVocabulary(tokens, merges, specialTokens);
    }

    private static string ToAlphabet(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
        }
        return new string(chars);
    }
}
