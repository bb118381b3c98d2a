using System.Text.Json.Nodes;

namespace MoCo.Zoo.Tokenizer;

/// <summary>
/// A trained byte-level BPE vocabulary: tokens in id order (the 256 byte characters first), the merges in rank
/// order, and special tokens after them. Written as a Hugging Face tokenizer.json with Qwen2's pipeline
/// (Split on <see cref="ByteLevelBpeTrainer.SplitPattern"/>, then ByteLevel), which transformers and
/// MoCo.Models both load.
/// </summary>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges, IReadOnlyList<string> SpecialTokens)
{
    /// <summary>Entries in all, special tokens included.</summary>
    public int Size => Tokens.Count + SpecialTokens.Count;

    /// <summary>The id of a special token.</summary>
    public int SpecialId(string token)
    {
        var index = SpecialTokens.ToList().IndexOf(token);
        return index < 0 ? throw new ArgumentException($"{token} is not a special token of this vocabulary", nameof(token)) : Tokens.Count + index;
    }

    /// <summary>The tokenizer.json document.</summary>
    public JsonObject ToTokenizerJson()
    {
        var vocab = new JsonObject();
        for (var i = 0; i < Tokens.Count; i++)
        {
            vocab[Tokens[i]] = i;
        }
        var added = new JsonArray();
        foreach (var special in SpecialTokens)
        {
            added.Add(new JsonObject
            {
                ["id"] = SpecialId(special),
                ["content"] = special,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }
        JsonObject ByteLevel() => new()
        {
            ["type"] = "ByteLevel",
            ["add_prefix_space"] = false,
            ["trim_offsets"] = false,
            ["use_regex"] = false,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = ByteLevelBpeTrainer.SplitPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    ByteLevel()),
            },
            ["post_processor"] = ByteLevel(),
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. Merges.Select(m => (JsonNode)JsonValue.Create(m.Left + " " + m.Right)!)]),
            },
        };
    }
}
