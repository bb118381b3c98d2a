using System.Text.Json;

namespace MoCo.Models.Tokenization.Json;

/// <summary>
/// A JSON value together with the file it came from and its path inside it, so every loader error can
/// say exactly where the problem is (<see cref="TokenizerFormatException"/>).
/// </summary>
internal readonly struct JsonNode
{
    public JsonNode(JsonElement element, string file, string path)
    {
        Element = element;
        File = file;
        Path = path;
    }

    public JsonElement Element { get; }

    public string File { get; }

    public string Path { get; }

    public static JsonNode Parse(string json, string file)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
            return new JsonNode(document.RootElement.Clone(), file, "");
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, $"is not valid JSON ({e.Message})", e);
        }
    }

    public TokenizerFormatException Error(string problem) => new(File, Path, problem);

    /// <summary>The error for a component whose "type" names something this tokenizer does not implement.</summary>
    public TokenizerFormatException Unsupported(string what, string value, string supported) =>
        new(File, Path.Length == 0 ? "type" : Path + ".type", $"{what} \"{value}\" is not supported; supported: {supported}")
        {
            IsUnsupportedFeature = true,
        };

    /// <summary>A child that may be absent; absent and JSON null both read as null.</summary>
    public JsonNode? Optional(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object || !Element.TryGetProperty(name, out JsonElement child) || child.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return new JsonNode(child, File, Child(name));
    }

    public JsonNode Required(string name) =>
        Optional(name) ?? throw new TokenizerFormatException(File, Child(name), "is required");

    public string GetString()
    {
        if (Element.ValueKind != JsonValueKind.String)
        {
            throw Error($"must be a string, not {Describe(Element.ValueKind)}");
        }
        return Element.GetString()!;
    }

    public int GetInt32()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out int value))
        {
            throw Error($"must be a 32-bit integer, not {Describe(Element.ValueKind)}");
        }
        return value;
    }

    public bool GetBoolean()
    {
        if (Element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw Error($"must be true or false, not {Describe(Element.ValueKind)}");
        }
        return Element.GetBoolean();
    }

    public string String(string name) => Required(name).GetString();

    public string? OptionalString(string name) => Optional(name)?.GetString();

    public bool Boolean(string name, bool defaultValue) => Optional(name)?.GetBoolean() ?? defaultValue;

    public int Int32(string name, int defaultValue) => Optional(name)?.GetInt32() ?? defaultValue;

    /// <summary>A single Unicode scalar given as a one-character string (HF serialises Rust chars so).</summary>
    public int CodePoint(string name)
    {
        JsonNode node = Required(name);
        string value = node.GetString();
        if (value.Length == 0 || System.Text.Rune.DecodeFromUtf16(value, out System.Text.Rune rune, out int consumed) != System.Buffers.OperationStatus.Done || consumed != value.Length)
        {
            throw node.Error("must be a single character");
        }
        return rune.Value;
    }

    /// <summary>The "type" tag of a tokenizer component.</summary>
    public string TypeName => String("type");

    public IEnumerable<JsonNode> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
        {
            throw Error($"must be an array, not {Describe(Element.ValueKind)}");
        }
        int index = 0;
        foreach (JsonElement item in Element.EnumerateArray())
        {
            yield return new JsonNode(item, File, $"{Path}[{index++}]");
        }
    }

    public IEnumerable<(string Name, JsonNode Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"must be an object, not {Describe(Element.ValueKind)}");
        }
        foreach (JsonProperty property in Element.EnumerateObject())
        {
            yield return (property.Name, new JsonNode(property.Value, File, Child(property.Name)));
        }
    }

    private string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
