using System.Text.Json;

namespace MoCo.Models.Generation;

/// <summary>
/// A model's generation_config.json: the sampling defaults its authors chose and the token ids that end a
/// generation. Every value is null where the file sets none (or the file is absent); eos_token_id may be
/// one id or a list of them.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>The configuration of a model without generation_config.json.</summary>
    public static GenerationConfig Empty { get; } = new();

    /// <summary>eos_token_id: every id that ends a sample (empty when unset).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>bos_token_id.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>pad_token_id.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>temperature.</summary>
    public float? Temperature { get; init; }

    /// <summary>top_p.</summary>
    public float? TopP { get; init; }

    /// <summary>top_k.</summary>
    public int? TopK { get; init; }

    /// <summary>min_p.</summary>
    public float? MinP { get; init; }

    /// <summary>repetition_penalty.</summary>
    public float? RepetitionPenalty { get; init; }

    /// <summary>do_sample.</summary>
    public bool? DoSample { get; init; }

    /// <summary>max_new_tokens.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Reads <c>generation_config.json</c> in <paramref name="directory"/>; <see cref="Empty"/> when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or a value has the wrong type; the message names the file and key.</exception>
    public static GenerationConfig Read(string directory)
    {
        var path = Path.Combine(directory, "generation_config.json");
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : Empty;
    }

    /// <summary>Parses the text of a generation_config.json; <paramref name="file"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, not an object, or a value of the wrong type.</exception>
    public static GenerationConfig Parse(string json, string file)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{file}: expected a JSON object, found {root.ValueKind}");
            }
            var reader = new Reader(root, file);
            return new GenerationConfig
            {
                EosTokenIds = reader.Ids("eos_token_id"),
                BosTokenId = reader.Int("bos_token_id"),
                PadTokenId = reader.Int("pad_token_id"),
                Temperature = reader.Float("temperature"),
                TopP = reader.Float("top_p"),
                TopK = reader.Int("top_k"),
                MinP = reader.Float("min_p"),
                RepetitionPenalty = reader.Float("repetition_penalty"),
                DoSample = reader.Bool("do_sample"),
                MaxNewTokens = reader.Int("max_new_tokens"),
            };
        }
    }

    /// <summary>Typed access to the keys, failing with the file and key named.</summary>
    private readonly struct Reader(JsonElement root, string file)
    {
        private JsonElement? Get(string key) =>
            root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private InvalidDataException Wrong(string key, string expected, JsonElement value) =>
            new($"{file}: \"{key}\" must be {expected}, found {value.GetRawText()}");

        public int? Int(string key) => Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => i,
            var v => throw Wrong(key, "an integer", v.Value),
        };

        public float? Float(string key) => Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v => v.GetSingle(),
            var v => throw Wrong(key, "a number", v.Value),
        };

        public bool? Bool(string key) => Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True or JsonValueKind.False } v => v.GetBoolean(),
            var v => throw Wrong(key, "true or false", v.Value),
        };

        public IReadOnlyList<int> Ids(string key)
        {
            var value = Get(key);
            if (value is null)
            {
                return [];
            }
            if (value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt32(out var single))
            {
                return [single];
            }
            if (value.Value.ValueKind == JsonValueKind.Array)
            {
                var ids = new List<int>();
                foreach (var item in value.Value.EnumerateArray())
                {
                    ids.Add(item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var id) ? id : throw Wrong(key, "an integer or a list of integers", value.Value));
                }
                return ids;
            }
            throw Wrong(key, "an integer or a list of integers", value.Value);
        }
    }
}
