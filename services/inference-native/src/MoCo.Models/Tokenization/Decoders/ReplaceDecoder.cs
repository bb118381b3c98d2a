namespace MoCo.Models.Tokenization.Decoders;

/// <summary>HF "Replace": replaces every match of the pattern in each token with literal content.</summary>
internal sealed class ReplaceDecoder(TextPattern pattern, string content) : Decoder
{
    public override void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = pattern.Regex.Replace(tokens[i], _ => content);
        }
    }
}
