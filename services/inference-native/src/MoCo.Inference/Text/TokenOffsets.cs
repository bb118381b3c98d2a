using System.Text;
using MoCo.Models.Tokenization;

namespace MoCo.Inference.Text;

/// <summary>
/// Each token's UTF-8 byte span in the text it was encoded from (contracts.md TokenOffset). The tokenizer keeps
/// no offsets, so they are recovered by decoding the ids one at a time with the streaming decoder and laying
/// each token's text along the input: exact whenever decoding gives the input back (byte-level BPE, SentencePiece
/// BPE), and still monotone and inside the text where a normalizer changed it. A token that completes no
/// character yet (part of a multi-byte character) gets the span of the character it helps complete.
/// </summary>
internal static class TokenOffsets
{
    /// <param name="tokenizer">The tokenizer that made <paramref name="content"/>.</param>
    /// <param name="text">The encoded text.</param>
    /// <param name="content">The ids of <paramref name="text"/> without added special tokens.</param>
    /// <param name="prefixCount">Special tokens before the content: empty spans at 0.</param>
    /// <param name="suffixCount">Special tokens after it: empty spans at the end.</param>
    public static TokenSpan[] Compute(HfTokenizer tokenizer, string text, IReadOnlyList<int> content, int prefixCount, int suffixCount)
    {
        var spans = new TokenSpan[prefixCount + content.Count + suffixCount];
        var bytes = new Utf8Positions(text);
        var decoder = tokenizer.CreateIncrementalDecoder();
        var cursor = 0;
        var held = new List<int>();
        for (var i = 0; i < content.Count; i++)
        {
            var piece = decoder.Add(content[i]);
            if (piece.Length == 0)
            {
                held.Add(prefixCount + i);
                continue;
            }
            var start = cursor;
            var end = text.AsSpan(cursor).StartsWith(piece, StringComparison.Ordinal) ? cursor + piece.Length : Math.Min(text.Length, cursor + piece.Length);
            var startByte = bytes.At(start);
            var firstChar = Math.Min(end, start + (char.IsHighSurrogate(piece[0]) ? 2 : 1));
            var firstCharEnd = startByte + Encoding.UTF8.GetByteCount(text.AsSpan(start, firstChar - start));
            foreach (var h in held)
            {
                spans[h] = new TokenSpan(startByte, firstCharEnd);
            }
            held.Clear();
            spans[prefixCount + i] = new TokenSpan(startByte, bytes.At(end));
            cursor = end;
        }
        foreach (var h in held)
        {
            spans[h] = new TokenSpan(bytes.At(cursor), bytes.At(cursor));
        }
        var textEnd = bytes.At(text.Length);
        for (var i = prefixCount + content.Count; i < spans.Length; i++)
        {
            spans[i] = new TokenSpan(textEnd, textEnd);
        }
        return spans;
    }

    // UTF-16 index → UTF-8 offset for indices asked in increasing order: counts forward from the last answer, so a
    // whole text costs one pass.
    private sealed class Utf8Positions(string text)
    {
        private int _index;
        private int _offset;

        public int At(int index)
        {
            _offset += Encoding.UTF8.GetByteCount(text.AsSpan(_index, index - _index));
            _index = index;
            return _offset;
        }
    }
}
