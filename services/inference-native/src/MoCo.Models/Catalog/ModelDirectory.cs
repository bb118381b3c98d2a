using System.Text.Json;

namespace MoCo.Models.Catalog;

/// <summary>
/// What a Hugging Face model directory says about itself without loading weights: config.json (architecture,
/// context, dtype, vocabulary), adapter_config.json for PEFT adapters, the parameter count summed from the
/// safetensors headers (tied embeddings counted once), and the tokenizer family from tokenizer.json.
/// </summary>
public sealed record ModelDirectory(
    string Path,
    ModelKind Kind,
    string Architecture,
    long Parameters,
    string Dtype,
    int ContextLength,
    int VocabSize,
    string TokenizerFamily,
    string? BaseModel)
{
    /// <summary>The files that make a directory a model: a full model's config.json or an adapter's adapter_config.json.</summary>
    public const string Expected = "config.json (a full model) or adapter_config.json (a PEFT adapter)";

    private static readonly string[] ContextKeys = ["max_position_embeddings", "n_positions", "n_ctx", "max_sequence_length", "seq_length"];

    /// <summary>True when <paramref name="path"/> holds a model or an adapter.</summary>
    public static bool Looks(string path) =>
        File.Exists(System.IO.Path.Combine(path, "config.json")) || File.Exists(System.IO.Path.Combine(path, "adapter_config.json"));

    /// <summary>Reads the directory's metadata.</summary>
    /// <exception cref="InvalidDataException">The directory is not a model, or config.json, adapter_config.json, tokenizer.json or a
    /// safetensors header is malformed; the message names the file.</exception>
    public static ModelDirectory Read(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new InvalidDataException($"{path}: no such directory");
        }
        if (!Looks(path))
        {
            throw new InvalidDataException($"{path} is not a model directory: it has neither {Expected}");
        }
        var weights = SafetensorsHeaders.Read(path);
        var tokenizer = TokenizerFamilies.Describe(path);
        var adapterConfig = System.IO.Path.Combine(path, "adapter_config.json");
        if (File.Exists(adapterConfig))
        {
            using var adapter = ModelJson.Parse(adapterConfig);
            var root = adapter.RootElement;
            return new ModelDirectory(path, ModelKind.Adapter, ModelJson.String(root, "peft_type") ?? "LORA", weights.Parameters(tiedEmbeddings: false),
                weights.Dtype ?? "", 0, 0, tokenizer, ModelJson.String(root, "base_model_name_or_path"));
        }

        var configPath = System.IO.Path.Combine(path, "config.json");
        using var config = ModelJson.Parse(configPath);
        var c = config.RootElement;
        var architecture = c.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0
            ? archs[0].GetString() ?? ""
            : ModelJson.String(c, "model_type") ?? "";
        // Hugging Face ties input and output embeddings unless the config says otherwise.
        var tied = !c.TryGetProperty("tie_word_embeddings", out var tie) || tie.ValueKind != JsonValueKind.False;
        return new ModelDirectory(path, KindOf(architecture, path), architecture, weights.Parameters(tied),
            ModelJson.String(c, "torch_dtype") ?? ModelJson.String(c, "dtype") ?? weights.Dtype ?? "",
            ContextKeys.Select(k => ModelJson.Int(c, k)).FirstOrDefault(v => v > 0),
            ModelJson.Int(c, "vocab_size"), tokenizer, null);
    }

    private static ModelKind KindOf(string architecture, string path)
    {
        if (architecture.EndsWith("ForSequenceClassification", StringComparison.Ordinal))
        {
            return ModelKind.SequenceClassifier;
        }
        if (architecture.EndsWith("ForCausalLM", StringComparison.Ordinal) || architecture.EndsWith("LMHeadModel", StringComparison.Ordinal)
            || architecture.EndsWith("ForConditionalGeneration", StringComparison.Ordinal))
        {
            return ModelKind.CausalLm;
        }
        // Encoders (BERT family) and sentence-transformers folders (modules.json) are embedding models.
        return File.Exists(System.IO.Path.Combine(path, "modules.json")) || architecture.EndsWith("Model", StringComparison.Ordinal)
            || architecture.EndsWith("ForMaskedLM", StringComparison.Ordinal)
            ? ModelKind.Encoder
            : ModelKind.CausalLm;
    }
}
