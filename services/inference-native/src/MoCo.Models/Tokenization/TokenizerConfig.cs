using System.Text.Json;
using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tokenization;

/// <summary>The parts of tokenizer_config.json and special_tokens_map.json that change encoding or decoding.</summary>
internal sealed class TokenizerConfig
{
    public static readonly TokenizerConfig Empty = new();

    /// <summary>Named special tokens (bos_token, eos_token, pad_token, unk_token) with the node each came from.</summary>
    public Dictionary<string, (string Content, JsonNode Source)> Tokens { get; } = [];

    public bool CleanUpTokenizationSpaces { get; private set; }

    public bool? AddBosToken { get; private set; }

    public bool? AddEosToken { get; private set; }

    /// <summary>tokenizer_class without the "Fast" suffix, e.g. LlamaTokenizer.</summary>
    public string? TokenizerClass { get; private set; }

    public static TokenizerConfig Load(JsonNode? config, JsonNode? specialTokensMap)
    {
        var result = new TokenizerConfig();
        if (config is { } c)
        {
            result.ReadTokens(c);
            result.CleanUpTokenizationSpaces = c.Boolean("clean_up_tokenization_spaces", false);
            result.AddBosToken = c.Optional("add_bos_token")?.GetBoolean();
            result.AddEosToken = c.Optional("add_eos_token")?.GetBoolean();
            string? tokenizerClass = c.OptionalString("tokenizer_class");
            result.TokenizerClass = tokenizerClass is not null && tokenizerClass.EndsWith("Fast", StringComparison.Ordinal) ? tokenizerClass[..^4] : tokenizerClass;
        }
        if (specialTokensMap is { } map)
        {
            result.ReadTokens(map);
        }
        return result;
    }

    // A token is either its text or an AddedToken object {"content": ..., "lstrip": ..., ...}.
    private void ReadTokens(JsonNode node)
    {
        foreach (string name in new[] { "bos_token", "eos_token", "pad_token", "unk_token" })
        {
            if (node.Optional(name) is not { } value)
            {
                continue;
            }
            string content = value.Element.ValueKind == JsonValueKind.Object ? value.String("content") : value.GetString();
            Tokens[name] = (content, value);
        }
    }
}
