namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>HF "Sequence": applies its normalizers in order.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<Normalizer> steps) : Normalizer
{
    public override string Normalize(string text)
    {
        foreach (Normalizer step in steps)
        {
            text = step.Normalize(text);
        }
        return text;
    }
}
