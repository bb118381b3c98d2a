using System.Text.Json;
using System.Text.Json.Nodes;

namespace MoCo.Models.Tests.Tokenization.Fixtures;

/// <summary>Small hand-made tokenizer.json documents for testing one component at a time.</summary>
public static class TokenizerJson
{
    /// <summary>
    /// A BPE model whose vocabulary is every printable ASCII character plus <paramref name="extraTokens"/>,
    /// with the given merges, and the given pipeline components (JSON text or null).
    /// </summary>
    public static string Build(
        string? normalizer = null,
        string? preTokenizer = null,
        string? postProcessor = null,
        string? decoder = null,
        string? addedTokens = null,
        string[]? merges = null,
        string[]? extraTokens = null,
        string modelOptions = "")
    {
        var vocab = new JsonObject();
        int id = 0;
        foreach (char c in Enumerable.Range(' ', '~' - ' ' + 1).Select(i => (char)i))
        {
            vocab[c.ToString()] = id++;
        }
        foreach (string token in extraTokens ?? [])
        {
            vocab[token] = id++;
        }
        var model = JsonNode.Parse($"{{\"type\": \"BPE\"{(modelOptions.Length > 0 ? ", " + modelOptions : "")}}}")!.AsObject();
        model["vocab"] = vocab;
        model["merges"] = new JsonArray((merges ?? []).Select(m => (JsonNode)JsonValue.Create(m)!).ToArray());
        var root = new JsonObject
        {
            ["added_tokens"] = JsonNode.Parse(addedTokens ?? "[]"),
            ["normalizer"] = normalizer is null ? null : JsonNode.Parse(normalizer),
            ["pre_tokenizer"] = preTokenizer is null ? null : JsonNode.Parse(preTokenizer),
            ["post_processor"] = postProcessor is null ? null : JsonNode.Parse(postProcessor),
            ["decoder"] = decoder is null ? null : JsonNode.Parse(decoder),
            ["model"] = model,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>The id <see cref="Build"/> gives a printable ASCII character.</summary>
    public static int Ascii(char c) => c - ' ';

    /// <summary>An added-token entry.</summary>
    public static string Added(int id, string content, bool special = true, bool lstrip = false, bool rstrip = false, bool singleWord = false, bool normalized = false) =>
        JsonSerializer.Serialize(new { id, content, single_word = singleWord, lstrip, rstrip, normalized, special });
}
