using System.Buffers.Binary;
using System.Text.Json;

namespace MoCo.Inference.Weights;

/// <summary>A tensor to be written: name, safetensors dtype, shape and byte size.</summary>
public sealed record TensorEntry(string Name, string Dtype, long[] Shape, long Bytes);

/// <summary>
/// The layout of one safetensors file written tensor by tensor: the header (8-byte little-endian length, then the
/// JSON of name → dtype, shape, data_offsets, padded with spaces to 8 bytes as the safetensors library does) is
/// known before any data, so the data of each tensor can be written at its own position in any order.
/// </summary>
public sealed class SafetensorsLayout
{
    private readonly Dictionary<string, long> _positions = new(StringComparer.Ordinal);

    /// <summary>Lays out <paramref name="tensors"/> in the order given.</summary>
    public SafetensorsLayout(IReadOnlyList<TensorEntry> tensors)
    {
        var json = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var offset = 0L;
        var offsets = new List<(string Name, long Begin)>();
        foreach (var t in tensors)
        {
            json[t.Name] = new { dtype = t.Dtype, shape = t.Shape, data_offsets = new[] { offset, offset + t.Bytes } };
            offsets.Add((t.Name, offset));
            offset += t.Bytes;
        }
        var text = JsonSerializer.SerializeToUtf8Bytes(json);
        var padded = (text.Length + 7) / 8 * 8;
        Header = new byte[8 + padded];
        BinaryPrimitives.WriteInt64LittleEndian(Header, padded);
        text.CopyTo(Header, 8);
        Header.AsSpan(8 + text.Length).Fill((byte)' ');
        foreach (var (name, begin) in offsets)
        {
            _positions[name] = Header.Length + begin;
        }
        Length = Header.Length + offset;
    }

    /// <summary>The header bytes, length prefix included.</summary>
    public byte[] Header { get; }

    /// <summary>Bytes of the whole file.</summary>
    public long Length { get; }

    /// <summary>File position of the first byte of <paramref name="name"/>'s data.</summary>
    public long Position(string name) => _positions[name];

    /// <summary>Creates <paramref name="path"/> at its full length with the header written; data follows through <see cref="Position"/>.</summary>
    public Microsoft.Win32.SafeHandles.SafeFileHandle Create(string path)
    {
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, Length);
        RandomAccess.Write(handle, Header, 0);
        return handle;
    }
}
