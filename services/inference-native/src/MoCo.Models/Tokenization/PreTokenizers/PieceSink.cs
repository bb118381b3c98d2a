namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>
/// Receives pieces as a pre-tokenizer produces them: the next step of a Sequence, or the BPE model. Pieces
/// stream through the pipeline one at a time, so a megabyte of text never becomes a list of words.
/// </summary>
internal abstract class PieceSink
{
    public abstract void Accept(Piece piece);
}
