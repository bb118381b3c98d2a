namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>HF "Strip": removes leading and/or trailing whitespace (Unicode White_Space, as Rust's char::is_whitespace).</summary>
internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text) => (left, right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}
