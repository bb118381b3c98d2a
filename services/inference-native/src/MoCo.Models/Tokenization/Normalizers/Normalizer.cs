namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>
/// One step of the tokenizer.json "normalizer". Normalizers run on each stretch of text between added
/// tokens, before pre-tokenisation; the tokenizer keeps no offsets, so a step maps a string to a string.
/// </summary>
internal abstract class Normalizer
{
    /// <summary>Returns the normalised text; the same instance when nothing changes.</summary>
    public abstract string Normalize(string text);
}
