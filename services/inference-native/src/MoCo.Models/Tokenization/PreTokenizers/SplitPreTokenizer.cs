namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>HF "Split": cuts every piece at the matches of a pattern (the Llama 3 / Qwen / cl100k split regexes).</summary>
internal sealed class SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void PreTokenize(Piece piece, PieceSink next) =>
        Splitter.Split(piece.WithBytesMapped(), pattern.Regex, behavior, invert, next);
}
