namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>
/// HF "ByteLevel": optionally prefixes each piece with a space and splits it with the GPT-2 regex, then
/// writes every UTF-8 byte as its <see cref="Models.ByteLevelAlphabet"/> character. The mapping is left
/// pending for the model (<see cref="Piece.BytesPending"/>).
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    public override void PreTokenize(Piece piece, PieceSink next)
    {
        piece = piece.WithBytesMapped();
        if (addPrefixSpace && (piece.Text.IsEmpty || piece.Text.Span[0] != ' '))
        {
            piece = piece with { Text = string.Concat(" ", piece.Text.Span).AsMemory() };
        }
        piece = piece with { BytesPending = true };
        if (useRegex)
        {
            Splitter.Split(piece, TextPattern.Gpt2Regex, SplitBehavior.Isolated, invert: false, next);
        }
        else
        {
            next.Accept(piece);
        }
    }
}
