using System.Text.Json;
using MoCo.Models.Generation;

namespace MoCo.Models.Catalog;

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
    GenerationConfig Generation)
{
    /// <summary>Reads the files of <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A present file is not valid JSON; the message names it.</exception>
    public static ModelFiles Read(string directory)
    {
        using var tokenizer = Json(directory, "tokenizer.json");
        using var tokenizerConfig = Json(directory, "tokenizer_config.json");
        var generation = GenerationConfig.Read(directory);

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

        var hasTemplate = File.Exists(Path.Combine(directory, "chat_template.jinja"))
            || File.Exists(Path.Combine(directory, "chat_template.json"))
            || (tokenizerConfig?.RootElement.TryGetProperty("chat_template", out var template) == true && template.ValueKind is JsonValueKind.String or JsonValueKind.Array);

        return new ModelFiles(
            hasTemplate,
            [.. added.Where(a => a.Special).OrderBy(a => a.Id).Select(a => (a.Id, a.Content))],
            IdOf("bos_token") ?? generation.BosTokenId,
            IdOf("pad_token") ?? generation.PadTokenId,
            IdOf("eos_token"),
            generation);
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
}
