namespace MoCo.Models.Tokenization.Decoders;

/// <summary>
/// One step of the tokenizer.json "decoder" (HF's decode_chain): rewrites the list of token strings in
/// place; the decoded text is the concatenation of what the last step leaves.
/// </summary>
internal abstract class Decoder
{
    public abstract void Decode(List<string> tokens);
}
