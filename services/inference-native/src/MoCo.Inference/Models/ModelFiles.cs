using System.Text.Json;

namespace MoCo.Inference.Models;

/// <summary>
/// The token-level facts a model directory declares, read from its JSON files without building a tokenizer:
/// special tokens from tokenizer.json's added_tokens, BOS/EOS/PAD from tokenizer_config.json (strings or
/// {content} objects, mapped to ids through added_tokens or the vocabulary) with generation_config.json ids as
/// the fallback, generation defaults from generation_config.json, and whether a chat template exists.
/// Absent files give absent values, never guesses.
/// </summary>
public sealed record ModelFiles(
    bool HasChatTemplate,
    IReadOnlyList<(int Id, string Content)> SpecialTokens,
    int? BosId,
    int? PadId,
    int? TokenizerEosId,
    IReadOnlyList<int> GenerationConfigEosIds,
    GenerationDefaults Generation)
{
    /// <summary>Reads the files of <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A present file is not valid JSON; the message names it.</exception>
    public static ModelFiles Read(string directory)
    {
        using var tokenizer = Json(directory, "tokenizer.json");
        using var tokenizerConfig = Json(directory, "tokenizer_config.json");
        using var generationConfig = Json(directory, "generation_config.json");

        var added = new List<(int Id, string Content, bool Special)>();
        if (tokenizer?.RootElement.TryGetProperty("added_tokens", out var tokens) == true && tokens.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in tokens.EnumerateArray())
            {
                if (t.TryGetProperty("id", out var id) && id.TryGetInt32(out var i) && t.TryGetProperty("content", out var c) && c.GetString() is { } content)
                {
                    added.Add((i, content, t.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True));
                }
            }
        }

        int? IdOf(string key)
        {
            if (tokenizerConfig is null || !tokenizerConfig.RootElement.TryGetProperty(key, out var v))
            {
                return null;
            }
            var text = v.ValueKind == JsonValueKind.String ? v.GetString()
                : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString()
                : null;
            if (text is null)
            {
                return null;
            }
            foreach (var a in added.Where(a => a.Content == text))
            {
                return a.Id;
            }
            return tokenizer?.RootElement.TryGetProperty("model", out var model) == true && model.TryGetProperty("vocab", out var vocab)
                && vocab.ValueKind == JsonValueKind.Object && vocab.TryGetProperty(text, out var vid) && vid.TryGetInt32(out var found)
                ? found
                : null;
        }

        var gen = generationConfig?.RootElement;
        var hasTemplate = File.Exists(Path.Combine(directory, "chat_template.jinja"))
            || File.Exists(Path.Combine(directory, "chat_template.json"))
            || (tokenizerConfig?.RootElement.TryGetProperty("chat_template", out var template) == true && template.ValueKind is JsonValueKind.String or JsonValueKind.Array);

        return new ModelFiles(
            hasTemplate,
            [.. added.Where(a => a.Special).OrderBy(a => a.Id).Select(a => (a.Id, a.Content))],
            IdOf("bos_token") ?? Int(gen, "bos_token_id"),
            IdOf("pad_token") ?? Int(gen, "pad_token_id"),
            IdOf("eos_token"),
            Ints(gen, "eos_token_id"),
            new GenerationDefaults(
                Float(gen, "temperature"), Float(gen, "top_p"), Int(gen, "top_k"), Float(gen, "min_p"),
                Float(gen, "repetition_penalty"), Bool(gen, "do_sample"), Int(gen, "max_new_tokens")));
    }

    private static JsonDocument? Json(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonElement? Get(JsonElement? e, string key) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static int? Int(JsonElement? e, string key) => Get(e, key) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var i) ? i : null;

    private static float? Float(JsonElement? e, string key) => Get(e, key) is { ValueKind: JsonValueKind.Number } v ? v.GetSingle() : null;

    private static bool? Bool(JsonElement? e, string key) => Get(e, key) is { ValueKind: JsonValueKind.True or JsonValueKind.False } v ? v.GetBoolean() : null;

    private static IReadOnlyList<int> Ints(JsonElement? e, string key) => Get(e, key) switch
    {
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => [i],
        { ValueKind: JsonValueKind.Array } a => [.. a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32())],
        _ => [],
    };
}

/// <summary>Sampling values generation_config.json sets; null where it sets none.</summary>
public sealed record GenerationDefaults(float? Temperature, float? TopP, int? TopK, float? MinP, float? RepetitionPenalty, bool? DoSample, int? MaxNewTokens);
