using System.Text.Json;

namespace MoCo.Models.ChatTemplates;

/// <summary>
/// A model directory's chat template and the special tokens the template may print, found where
/// transformers finds them: chat_template.jinja (newer saves) before tokenizer_config.json's chat_template
/// (a string, or a list of {name, template} of which "default" is used), then chat_template.json; special
/// tokens from tokenizer_config.json, else special_tokens_map.json, each a string or an {"content": …} object.
/// </summary>
/// <param name="Template">The parsed template; null when the model has none (it then gets the raw prompt).</param>
/// <param name="TemplateFile">The file the template came from, null when none.</param>
/// <param name="SpecialTokens">bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token — those set.</param>
public sealed record ChatTemplateFiles(ChatTemplate? Template, string? TemplateFile, IReadOnlyDictionary<string, string> SpecialTokens)
{
    private static readonly string[] SpecialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    /// <summary>Reads <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A file is not valid JSON or its chat_template has an unexpected shape; the message names the file.</exception>
    /// <exception cref="ChatTemplateException">The template is not valid Jinja or uses an unsupported construct (named, with its line).</exception>
    public static ChatTemplateFiles Load(string directory)
    {
        using var tokenizerConfig = ReadJson(Path.Combine(directory, "tokenizer_config.json"));
        using var specialTokensMap = ReadJson(Path.Combine(directory, "special_tokens_map.json"));

        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in SpecialTokenNames)
        {
            if ((TokenText(tokenizerConfig, name) ?? TokenText(specialTokensMap, name)) is { } text)
            {
                tokens[name] = text;
            }
        }

        var (source, file) = FindTemplate(directory, tokenizerConfig);
        return new ChatTemplateFiles(source is null ? null : ChatTemplate.Parse(source, Path.GetFileName(file!)), file, tokens);
    }

    private static (string? Source, string? File) FindTemplate(string directory, JsonDocument? tokenizerConfig)
    {
        var jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinja))
        {
            return (File.ReadAllText(jinja), jinja);
        }
        var configFile = Path.Combine(directory, "tokenizer_config.json");
        if (tokenizerConfig?.RootElement.TryGetProperty("chat_template", out var template) == true && template.ValueKind != JsonValueKind.Null)
        {
            return (TemplateText(template, configFile), configFile);
        }
        var processorFile = Path.Combine(directory, "chat_template.json");
        using var processor = ReadJson(processorFile);
        if (processor?.RootElement.TryGetProperty("chat_template", out var processorTemplate) == true && processorTemplate.ValueKind != JsonValueKind.Null)
        {
            return (TemplateText(processorTemplate, processorFile), processorFile);
        }
        return (null, null);
    }

    private static string TemplateText(JsonElement template, string file)
    {
        if (template.ValueKind == JsonValueKind.String)
        {
            return template.GetString()!;
        }
        if (template.ValueKind == JsonValueKind.Array)
        {
            foreach (var named in template.EnumerateArray())
            {
                if (named.TryGetProperty("name", out var name) && name.GetString() == "default"
                    && named.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    return text.GetString()!;
                }
            }
            throw new InvalidDataException($"{file}: chat_template lists named templates but none is called \"default\"");
        }
        throw new InvalidDataException($"{file}: chat_template must be a string or a list of {{name, template}}, not {template.ValueKind}");
    }

    private static string? TokenText(JsonDocument? document, string name)
    {
        if (document is null || !document.RootElement.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
            _ => null,
        };
    }

    private static JsonDocument? ReadJson(string path)
    {
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
