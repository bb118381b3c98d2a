namespace MoCo.Models.Tokenization.AddedTokens;

/// <summary>
/// An entry of tokenizer.json "added_tokens". Added tokens are found in the text before anything else and
/// never split. <see cref="Normalized"/> tokens are looked for in the normalised text, the others in the raw
/// text; <see cref="LStrip"/>/<see cref="RStrip"/> swallow neighbouring whitespace; a <see cref="SingleWord"/>
/// token only matches when not inside a word; <see cref="Special"/> tokens are dropped by
/// skip-special-tokens decoding.
/// </summary>
internal sealed record AddedToken(int Id, string Content, bool SingleWord, bool LStrip, bool RStrip, bool Normalized, bool Special);
