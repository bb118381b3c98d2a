namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>One step of the tokenizer.json "pre_tokenizer": splits a piece into smaller ones and may rewrite them.</summary>
internal abstract class PreTokenizer
{
    /// <summary>Splits <paramref name="piece"/> and passes each non-empty result to <paramref name="next"/> in order.</summary>
    public abstract void PreTokenize(Piece piece, PieceSink next);
}
