using System.Buffers.Binary;
using System.Text.Json;

namespace MoCo.Inference.Weights;

/// <summary>One tensor of a safetensors file: where its bytes lie, read from the header only.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Dtype">Safetensors dtype string (F32, BF16, …).</param>
/// <param name="Shape">Shape, outermost first.</param>
/// <param name="File">The file holding it.</param>
/// <param name="Start">Absolute byte position of its first byte in <paramref name="File"/>.</param>
/// <param name="Bytes">Byte size.</param>
public sealed record SafetensorsTensor(string Name, string Dtype, long[] Shape, string File, long Start, long Bytes)
{
    /// <summary>Elements (1 for 0-D).</summary>
    public long Numel => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at byte <paramref name="offset"/> of the tensor.</summary>
    public void Read(long offset, Span<byte> buffer)
    {
        using var handle = System.IO.File.OpenHandle(File);
        RandomAccess.Read(handle, buffer, Start + offset);
    }
}

/// <summary>
/// The tensors of a model folder's *.safetensors files (shards included), from their headers: MoCo.Models' own
/// header reader is internal and keeps no data offsets, which streaming needs. Weights are never read here.
/// </summary>
public static class SafetensorsTensors
{
    // Real headers are a few MiB at most; a larger length means a corrupt file.
    private const long MaxHeader = 100L * 1024 * 1024;

    /// <summary>Every tensor of the folder, in file then data order; a name repeated across shards counts once.</summary>
    /// <exception cref="InvalidDataException">A header is truncated, not JSON, or points outside its file.</exception>
    public static IReadOnlyList<SafetensorsTensor> Read(string directory)
    {
        var tensors = new List<SafetensorsTensor>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "*.safetensors").Order(StringComparer.Ordinal))
        {
            tensors.AddRange(ReadFile(file).Where(t => seen.Add(t.Name)));
        }
        return tensors;
    }

    /// <summary>The tensors of one file, in data order.</summary>
    public static IReadOnlyList<SafetensorsTensor> ReadFile(string file)
    {
        using var stream = File.OpenRead(file);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8)
        {
            throw new InvalidDataException($"{file}: shorter than the 8-byte safetensors header length");
        }
        var length = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (length <= 0 || length > MaxHeader || length > stream.Length - 8)
        {
            throw new InvalidDataException($"{file}: safetensors header length {length} does not fit the file ({stream.Length} bytes)");
        }
        var header = new byte[length];
        stream.ReadExactly(header);
        var dataStart = 8 + length;
        var tensors = new List<SafetensorsTensor>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            foreach (var entry in doc.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
            {
                var v = entry.Value;
                long[] shape = [.. v.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64())];
                var offsets = v.GetProperty("data_offsets");
                var begin = offsets[0].GetInt64();
                var end = offsets[1].GetInt64();
                if (begin < 0 || end < begin || dataStart + end > stream.Length)
                {
                    throw new InvalidDataException($"{file}: tensor '{entry.Name}' data_offsets [{begin}, {end}] lie outside the file");
                }
                tensors.Add(new SafetensorsTensor(entry.Name, v.GetProperty("dtype").GetString() ?? "", shape, file, dataStart + begin, end - begin));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{file}: safetensors header is not valid: {e.Message}", e);
        }
        return [.. tensors.OrderBy(t => t.Start)];
    }
}
