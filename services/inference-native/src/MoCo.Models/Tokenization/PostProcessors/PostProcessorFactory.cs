using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tokenization.PostProcessors;

/// <summary>Builds the tokenizer.json "post_processor".</summary>
internal static class PostProcessorFactory
{
    private const string Supported = "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence";

    public static PostProcessor Create(JsonNode node)
    {
        string type = node.TypeName;
        return type switch
        {
            "TemplateProcessing" => Template(node),
            // Trims offsets only; this tokenizer keeps none.
            "ByteLevel" => new SurroundingPostProcessor([], []),
            "RobertaProcessing" or "BertProcessing" => new SurroundingPostProcessor([TokenPair(node.Required("cls"))], [TokenPair(node.Required("sep"))]),
            "Sequence" => new SequencePostProcessor(node.Required("processors").Items().Select(Create).ToArray()),
            _ => throw node.Unsupported("post_processor", type, Supported),
        };
    }

    // The "single" template is a list of {"SpecialToken": {"id": name}} and one {"Sequence": {"id": "A"}};
    // each name's ids come from the processor's own "special_tokens" table.
    private static SurroundingPostProcessor Template(JsonNode node)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (node.Optional("special_tokens") is { } table)
        {
            foreach ((string name, JsonNode entry) in table.Properties())
            {
                specials[name] = entry.Required("ids").Items().Select(id => id.GetInt32()).ToArray();
            }
        }
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (JsonNode piece in node.Required("single").Items())
        {
            if (piece.Optional("SpecialToken") is { } special)
            {
                string name = special.String("id");
                int[] ids = specials.TryGetValue(name, out int[]? found) ? found : throw special.Error($"special token \"{name}\" is missing from post_processor.special_tokens");
                (seenSequence ? suffix : prefix).AddRange(ids);
            }
            else if (piece.Optional("Sequence") is { } sequence)
            {
                if (sequence.String("id") != "A" || seenSequence)
                {
                    throw sequence.Error("a single-sequence template must hold sequence A exactly once");
                }
                seenSequence = true;
            }
            else
            {
                throw piece.Error("a template piece must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
            }
        }
        if (!seenSequence)
        {
            throw node.Required("single").Error("the single-sequence template does not contain sequence A");
        }
        return new SurroundingPostProcessor(prefix, suffix);
    }

    // Roberta/Bert store ["<s>", 0]: the token and its id.
    private static int TokenPair(JsonNode pair)
    {
        JsonNode[] parts = pair.Items().ToArray();
        return parts.Length == 2 ? parts[1].GetInt32() : throw pair.Error("must be [token, id]");
    }
}
