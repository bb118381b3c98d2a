namespace MoCo.Models.Tokenization;

/// <summary>
/// Turns generated ids into text as they arrive, the way HF's <c>DecodeStream</c> does: each step decodes a
/// short window of recent ids and returns only what it adds to the previous window's text. Text ending in
/// U+FFFD is held back, so an incomplete UTF-8 sequence (byte-level or &lt;0xNN&gt; byte-fallback tokens) is never
/// emitted half-way; the window keeps the preceding token so decoders that strip a leading space from the
/// first token (Metaspace, Strip) do not eat the spaces between words. Not thread-safe: one per stream.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly HfTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids = [];
    private string _prefix = "";
    private int _prefixIndex;

    internal IncrementalDecoder(HfTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text it completes, or the empty string while it is held back.</summary>
    /// <exception cref="InvalidOperationException">The decoder rewrote text already returned (HF's InvalidPrefix).</exception>
    public string Add(int id)
    {
        _ids.Add(id);
        string text = Decode();
        if (text.Length <= _prefix.Length || text.EndsWith('\uFFFD'))
        {
            return "";
        }
        if (!text.StartsWith(_prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Decoding id {id} changed text that was already streamed (\"{_prefix}\" became \"{text}\").");
        }
        string added = text[_prefix.Length..];
        int newPrefixIndex = _ids.Count - _prefixIndex;
        _ids.RemoveRange(0, _prefixIndex);
        _prefix = Decode();
        _prefixIndex = newPrefixIndex;
        return added;
    }

    /// <summary>Adds several ids; returns the text they complete.</summary>
    public string Add(ReadOnlySpan<int> ids)
    {
        var builder = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            builder.Append(Add(id));
        }
        return builder.ToString();
    }

    /// <summary>
    /// Ends the stream: returns whatever is still held back, including U+FFFD for an incomplete byte sequence
    /// (what a full decode of all ids would show), and resets the decoder for a new stream.
    /// </summary>
    public string Flush()
    {
        string text = Decode();
        string rest = text.Length > _prefix.Length && text.StartsWith(_prefix, StringComparison.Ordinal) ? text[_prefix.Length..] : "";
        _ids.Clear();
        _prefix = "";
        _prefixIndex = 0;
        return rest;
    }

    private string Decode() => _tokenizer.DecodeRaw(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids), _skipSpecialTokens);
}
