namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>HF "Prepend": puts its text in front of every non-empty input (Llama 2 / Mistral prepend "▁").</summary>
internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}
