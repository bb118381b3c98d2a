using System.Buffers.Binary;
using System.Text.Json;

namespace MoCo.Inference.Models;

/// <summary>
/// What a Hugging Face model directory says about itself without loading weights: config.json (architecture,
/// vocabulary, context, dtype), adapter_config.json for PEFT adapters, and the parameter count summed from the
/// safetensors headers (8-byte little-endian length, then a JSON table of tensor shapes).
/// </summary>
public sealed record ModelDirectory(
    string Path,
    ModelKind Kind,
    string Architecture,
    long Parameters,
    string Dtype,
    int ContextLength,
    int VocabSize,
    string? BaseModel)
{
    /// <summary>True when <paramref name="path"/> holds a model or an adapter.</summary>
    public static bool Looks(string path) =>
        File.Exists(System.IO.Path.Combine(path, "config.json")) || File.Exists(System.IO.Path.Combine(path, "adapter_config.json"));

    /// <summary>Reads the directory's metadata.</summary>
    /// <exception cref="InvalidDataException">config.json, adapter_config.json or a safetensors header is malformed; the message names the file.</exception>
    public static ModelDirectory Read(string path)
    {
        var adapterConfig = System.IO.Path.Combine(path, "adapter_config.json");
        if (File.Exists(adapterConfig))
        {
            using var adapter = ParseJson(adapterConfig);
            var root = adapter.RootElement;
            return new ModelDirectory(path, ModelKind.Adapter, String(root, "peft_type") ?? "LORA", CountParameters(path), "", 0, 0,
                String(root, "base_model_name_or_path"));
        }

        var configPath = System.IO.Path.Combine(path, "config.json");
        using var config = ParseJson(configPath);
        var c = config.RootElement;
        var architecture = c.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0
            ? archs[0].GetString() ?? ""
            : String(c, "model_type") ?? "";
        var kind = architecture.EndsWith("ForSequenceClassification", StringComparison.Ordinal) ? ModelKind.SequenceClassifier
            : architecture.EndsWith("ForCausalLM", StringComparison.Ordinal) ? ModelKind.CausalLm
            : architecture.StartsWith("Bert", StringComparison.Ordinal) || architecture.StartsWith("Roberta", StringComparison.Ordinal) || architecture.StartsWith("XLMRoberta", StringComparison.Ordinal) ? ModelKind.Encoder
            : ModelKind.CausalLm;
        return new ModelDirectory(path, kind, architecture, CountParameters(path),
            String(c, "torch_dtype") ?? String(c, "dtype") ?? "",
            Int(c, "max_position_embeddings"), Int(c, "vocab_size"), null);
    }

    private static JsonDocument ParseJson(string file)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not valid JSON: {e.Message}", e);
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;

    /// <summary>Sums element counts over every tensor in every *.safetensors file (shards included).</summary>
    private static long CountParameters(string path)
    {
        long total = 0;
        Span<byte> lengthBytes = stackalloc byte[8];
        foreach (var file in Directory.EnumerateFiles(path, "*.safetensors"))
        {
            using var stream = File.OpenRead(file);
            if (stream.Read(lengthBytes) != 8)
            {
                throw new InvalidDataException($"{file}: shorter than the 8-byte safetensors header length");
            }
            var length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (length == 0 || length > 100 * 1024 * 1024 || (long)length > stream.Length - 8)
            {
                throw new InvalidDataException($"{file}: safetensors header length {length} does not fit the file ({stream.Length} bytes)");
            }
            var header = new byte[length];
            stream.ReadExactly(header);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(header);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{file}: safetensors header is not valid JSON: {e.Message}", e);
            }
            using (doc)
            {
                foreach (var tensor in doc.RootElement.EnumerateObject())
                {
                    if (tensor.Name == "__metadata__" || !tensor.Value.TryGetProperty("shape", out var shape))
                    {
                        continue;
                    }
                    long count = 1;
                    foreach (var dim in shape.EnumerateArray())
                    {
                        count *= dim.GetInt64();
                    }
                    total += count;
                }
            }
        }
        return total;
    }
}
