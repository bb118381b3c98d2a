using System.Text;
using MoCo.Models.Tokenization.PreTokenizers;

namespace MoCo.Models.Tokenization.Decoders;

/// <summary>
/// HF "Metaspace": the replacement character becomes a space, except that in the first token every
/// replacement character is dropped unless the prepend scheme is "never" (HF's exact rule, which removes
/// the space the pre-tokenizer prepended).
/// </summary>
internal sealed class MetaspaceDecoder(int replacement, PrependScheme scheme) : Decoder
{
    private readonly string _replacement = new Rune(replacement).ToString();

    public override void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = tokens[i].Replace(_replacement, i == 0 && scheme != PrependScheme.Never ? "" : " ", StringComparison.Ordinal);
        }
    }
}
