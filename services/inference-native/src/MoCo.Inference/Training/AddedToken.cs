using System.Text.Json.Nodes;

namespace MoCo.Inference.Training;

/// <summary>
/// Registers CoLLM's added vocabulary entry (e.g. "&lt;|defer|&gt;") in a trained model's tokenizer files, with the id
/// of the row the trainer appended: tokenizer.json's added_tokens (so the tokenizer encodes and decodes it as one
/// special token) and, when the model has one, tokenizer_config.json's added_tokens_decoder, as
/// tokenizer.add_special_tokens followed by save_pretrained writes them.
/// </summary>
public static class AddedToken
{
    /// <summary>Adds <paramref name="content"/> with id <paramref name="id"/> to the tokenizer files in <paramref name="directory"/>.</summary>
    public static void Write(string directory, string content, int id)
    {
        var tokenizerPath = Path.Combine(directory, "tokenizer.json");
        var tokenizer = JsonNode.Parse(File.ReadAllText(tokenizerPath))!.AsObject();
        if (tokenizer["added_tokens"] is not JsonArray added)
        {
            added = [];
            tokenizer["added_tokens"] = added;
        }
        added.Add(new JsonObject
        {
            ["id"] = id,
            ["content"] = content,
            ["single_word"] = false,
            ["lstrip"] = false,
            ["rstrip"] = false,
            ["normalized"] = false,
            ["special"] = true,
        });
        File.WriteAllText(tokenizerPath, tokenizer.ToJsonString());

        var configPath = Path.Combine(directory, "tokenizer_config.json");
        if (!File.Exists(configPath))
        {
            return;
        }
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        if (config["added_tokens_decoder"] is not JsonObject decoder)
        {
            decoder = [];
            config["added_tokens_decoder"] = decoder;
        }
        decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
        {
            ["content"] = content,
            ["single_word"] = false,
            ["lstrip"] = false,
            ["rstrip"] = false,
            ["normalized"] = false,
            ["special"] = true,
        };
        File.WriteAllText(configPath, config.ToJsonString());
    }
}
