namespace MoCo.Models.Tokenization;

/// <summary>A special token's text and id.</summary>
/// <param name="Content">The token as written, e.g. <c>&lt;s&gt;</c> or <c>&lt;|endoftext|&gt;</c>.</param>
/// <param name="Id">Its id in the vocabulary.</param>
public sealed record SpecialToken(string Content, int Id);

/// <summary>
/// The model's named special tokens from tokenizer_config.json and special_tokens_map.json (the latter wins,
/// as in transformers); the unk token falls back to the BPE model's <c>unk_token</c>. Null when not defined.
/// </summary>
/// <param name="Bos">Beginning of sequence.</param>
/// <param name="Eos">End of sequence.</param>
/// <param name="Pad">Padding.</param>
/// <param name="Unk">Unknown.</param>
public sealed record SpecialTokens(SpecialToken? Bos, SpecialToken? Eos, SpecialToken? Pad, SpecialToken? Unk);
