namespace MoCo.Models.Tokenization.Decoders;

/// <summary>HF "Fuse": joins all tokens into one, so that following steps (Strip) see the whole text.</summary>
internal sealed class FuseDecoder : Decoder
{
    public override void Decode(List<string> tokens)
    {
        string fused = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(fused);
    }
}
