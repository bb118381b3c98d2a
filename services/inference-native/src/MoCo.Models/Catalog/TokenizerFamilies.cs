using System.Text;
using System.Text.Json;

namespace MoCo.Models.Catalog;

/// <summary>
/// Names a model's tokenizer family from tokenizer.json's model type and pre-tokenizer, streaming past the
/// vocabulary and merges so a large file costs one read: "BPE (byte-level)" for GPT-2/Llama 3/Qwen,
/// "BPE (SentencePiece, byte fallback)" for Llama 2/Mistral/Gemma, "Unigram", "WordPiece"; tokenizer.model
/// alone is "SentencePiece"; nothing is "none".
/// </summary>
internal static class TokenizerFamilies
{
    public static string Describe(string directory)
    {
        var file = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(file))
        {
            return File.Exists(Path.Combine(directory, "tokenizer.model")) ? "SentencePiece" : "none";
        }
        var bytes = File.ReadAllBytes(file);
        string? type = null;
        var byteFallback = false;
        var byteLevel = false;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = true });
            string? section = null;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }
                var name = reader.GetString();
                if (reader.CurrentDepth == 1)
                {
                    section = name;
                    if (name is "added_tokens" or "normalizer" or "post_processor")
                    {
                        reader.Read();
                        reader.Skip();
                    }
                    continue;
                }
                reader.Read();
                if (section == "model" && reader.CurrentDepth == 2 && name is "vocab" or "merges")
                {
                    reader.Skip();
                }
                else if (section == "model" && reader.CurrentDepth == 2 && name == "type" && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.GetString();
                }
                else if (section == "model" && name == "byte_fallback" && reader.TokenType == JsonTokenType.True)
                {
                    byteFallback = true;
                }
                else if (section is "pre_tokenizer" or "decoder" && name == "type" && reader.TokenType == JsonTokenType.String && reader.GetString() == "ByteLevel")
                {
                    byteLevel = true;
                }
                else if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject && section != "pre_tokenizer" && section != "decoder" && section != "model")
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not valid JSON: {e.Message}", e);
        }
        if (type is null)
        {
            // Older tokenizer.json files omit model.type; a merges list means BPE.
            type = Encoding.UTF8.GetString(bytes).Contains("\"merges\"", StringComparison.Ordinal) ? "BPE" : "unknown";
        }
        return (type, byteLevel, byteFallback) switch
        {
            ("BPE", true, _) => "BPE (byte-level)",
            ("BPE", false, true) => "BPE (SentencePiece, byte fallback)",
            ("BPE", false, false) => "BPE",
            _ => type,
        };
    }
}
