using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>Builds the tokenizer.json "pre_tokenizer".</summary>
internal static class PreTokenizerFactory
{
    private const string Supported = "Sequence, Split, ByteLevel, Metaspace";

    public static PreTokenizer Create(JsonNode node)
    {
        string type = node.TypeName;
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(node.Required("pretokenizers").Items().Select(Create).ToArray()),
            "Split" => new SplitPreTokenizer(TextPattern.FromJson(node.Required("pattern")), Behavior(node.Required("behavior")), node.Boolean("invert", false)),
            "ByteLevel" => new ByteLevelPreTokenizer(node.Boolean("add_prefix_space", true), node.Boolean("use_regex", true)),
            "Metaspace" => new MetaspacePreTokenizer(node.CodePoint("replacement"), Scheme(node), node.Boolean("split", true)),
            _ => throw node.Unsupported("pre_tokenizer", type, Supported),
        };
    }

    private static SplitBehavior Behavior(JsonNode node) => node.GetString() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        string other => throw node.Error($"behavior \"{other}\" is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous"),
    };

    /// <summary>
    /// Files written before tokenizers 0.19 carry <c>add_prefix_space</c> instead of <c>prepend_scheme</c>;
    /// HF reads true as "always" and false as "never".
    /// </summary>
    public static PrependScheme Scheme(JsonNode node)
    {
        if (node.Optional("prepend_scheme") is { } scheme)
        {
            return scheme.GetString() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                string other => throw scheme.Error($"prepend_scheme \"{other}\" is not one of always, first, never"),
            };
        }
        return node.Boolean("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
    }
}
