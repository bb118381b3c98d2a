using MoCo.Models.Tokenization.Json;
using MoCo.Models.Tokenization.PreTokenizers;

namespace MoCo.Models.Tokenization.Decoders;

/// <summary>Builds the tokenizer.json "decoder".</summary>
internal static class DecoderFactory
{
    private const string Supported = "Sequence, ByteLevel, ByteFallback, Metaspace, Replace, Strip, Fuse";

    public static Decoder Create(JsonNode node)
    {
        string type = node.TypeName;
        return type switch
        {
            "Sequence" => new SequenceDecoder(node.Required("decoders").Items().Select(Create).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Metaspace" => new MetaspaceDecoder(node.CodePoint("replacement"), PreTokenizerFactory.Scheme(node)),
            "Replace" => new ReplaceDecoder(TextPattern.FromJson(node.Required("pattern")), node.String("content")),
            "Strip" => new StripDecoder(node.CodePoint("content"), node.Int32("start", 0), node.Int32("stop", 0)),
            "Fuse" => new FuseDecoder(),
            _ => throw node.Unsupported("decoder", type, Supported),
        };
    }
}
