using System.Buffers.Binary;
using System.Text.Json;

namespace MoCo.Models.Catalog;

/// <summary>
/// The tensor table of every *.safetensors file in a directory, read from the headers only (8-byte
/// little-endian length, then JSON of name → dtype, shape, offsets). Gives the parameter count and the
/// dominant dtype without touching the weights.
/// </summary>
internal sealed class SafetensorsHeaders
{
    /// <summary>The largest header accepted; real headers are a few MiB at most.</summary>
    private const ulong MaxHeader = 100 * 1024 * 1024;

    private static readonly string[] EmbeddingSuffixes = ["embed_tokens.weight", "wte.weight", "word_embeddings.weight", "embeddings.weight"];

    private readonly Dictionary<string, (string Dtype, long[] Shape)> _tensors = new(StringComparer.Ordinal);

    /// <summary>The header bytes of each file, in file-name order (the fingerprint hashes them).</summary>
    public List<(string File, byte[] Header)> Headers { get; } = [];

    /// <summary>The most common tensor dtype as config.json spells it (bfloat16, float16, float32), null without tensors.</summary>
    public string? Dtype => _tensors.Count == 0 ? null : _tensors.Values.GroupBy(t => t.Dtype).OrderByDescending(g => g.Count()).First().Key switch
    {
        "BF16" => "bfloat16",
        "F16" => "float16",
        "F32" => "float32",
        var other => other.ToLowerInvariant(),
    };

    /// <exception cref="InvalidDataException">A header is truncated or not JSON; the message names the file.</exception>
    public static SafetensorsHeaders Read(string directory)
    {
        var result = new SafetensorsHeaders();
        Span<byte> lengthBytes = stackalloc byte[8];
        foreach (var file in Directory.EnumerateFiles(directory, "*.safetensors").Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            if (stream.Read(lengthBytes) != 8)
            {
                throw new InvalidDataException($"{file}: shorter than the 8-byte safetensors header length");
            }
            var length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (length == 0 || length > MaxHeader || (long)length > stream.Length - 8)
            {
                throw new InvalidDataException($"{file}: safetensors header length {length} does not fit the file ({stream.Length} bytes)");
            }
            var header = new byte[length];
            stream.ReadExactly(header);
            result.Headers.Add((file, header));
            result.AddTensors(file, header);
        }
        return result;
    }

    private void AddTensors(string file, byte[] header)
    {
        try
        {
            using var doc = JsonDocument.Parse(header);
            foreach (var tensor in doc.RootElement.EnumerateObject())
            {
                if (tensor.Name == "__metadata__")
                {
                    continue;
                }
                if (!tensor.Value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"{file}: tensor '{tensor.Name}' has no shape");
                }
                var dtype = tensor.Value.TryGetProperty("dtype", out var d) ? d.GetString() ?? "" : "";
                // A tensor repeated across shards is one tensor.
                _tensors.TryAdd(tensor.Name, (dtype, [.. shape.EnumerateArray().Select(x => x.GetInt64())]));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{file}: safetensors header is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Elements over all tensors; with tied embeddings a stored lm_head.weight equal in shape to the
    /// input embedding is the same matrix and is counted once.</summary>
    public long Parameters(bool tiedEmbeddings)
    {
        var skipHead = tiedEmbeddings && _tensors.TryGetValue("lm_head.weight", out var head)
            && _tensors.Any(t => t.Key != "lm_head.weight" && EmbeddingSuffixes.Any(s => t.Key.EndsWith(s, StringComparison.Ordinal)) && t.Value.Shape.SequenceEqual(head.Shape));
        return _tensors.Where(t => !(skipHead && t.Key == "lm_head.weight")).Sum(t => t.Value.Shape.Aggregate(1L, (a, b) => a * b));
    }
}
