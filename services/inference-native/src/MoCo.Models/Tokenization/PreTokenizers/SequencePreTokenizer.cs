namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>HF "Sequence": applies its pre-tokenizers in order, each to the pieces the previous one made.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> steps) : PreTokenizer
{
    public override void PreTokenize(Piece piece, PieceSink next)
    {
        if (steps.Count == 0)
        {
            next.Accept(piece);
            return;
        }
        PieceSink sink = next;
        for (int i = steps.Count - 1; i > 0; i--)
        {
            sink = new StepSink(steps[i], sink);
        }
        steps[0].PreTokenize(piece, sink);
    }

    private sealed class StepSink(PreTokenizer step, PieceSink next) : PieceSink
    {
        public override void Accept(Piece piece) => step.PreTokenize(piece, next);
    }
}
