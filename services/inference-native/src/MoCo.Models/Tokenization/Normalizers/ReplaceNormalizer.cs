namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>HF "Replace": replaces every match of the pattern with literal content (no $-substitutions, as in HF).</summary>
internal sealed class ReplaceNormalizer(TextPattern pattern, string content) : Normalizer
{
    public override string Normalize(string text) => pattern.Regex.Replace(text, _ => content);
}
