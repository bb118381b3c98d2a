namespace MoCo.Models.Tokenization.Decoders;

/// <summary>HF "Sequence": applies its decoders in order.</summary>
internal sealed class SequenceDecoder(IReadOnlyList<Decoder> steps) : Decoder
{
    public override void Decode(List<string> tokens)
    {
        foreach (Decoder step in steps)
        {
            step.Decode(tokens);
        }
    }
}
