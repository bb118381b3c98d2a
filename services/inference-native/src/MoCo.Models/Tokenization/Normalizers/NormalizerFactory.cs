using System.Text;
using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>Builds the tokenizer.json "normalizer".</summary>
internal static class NormalizerFactory
{
    private const string Supported = "Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace";

    public static Normalizer Create(JsonNode node)
    {
        string type = node.TypeName;
        return type switch
        {
            "Sequence" => new SequenceNormalizer(node.Required("normalizers").Items().Select(Create).ToArray()),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(node.Boolean("strip_left", true), node.Boolean("strip_right", true)),
            "Prepend" => new PrependNormalizer(node.String("prepend")),
            "Replace" => new ReplaceNormalizer(TextPattern.FromJson(node.Required("pattern")), node.String("content")),
            _ => throw node.Unsupported("normalizer", type, Supported),
        };
    }
}
