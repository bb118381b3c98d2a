using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace MoCo.Zoo.Checkpoints;

/// <summary>Writes BF16 tensors as one safetensors file (8-byte header length, JSON header padded to 8 bytes, data).</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (F32 values rounded to BF16, nearest even) in the given order.</summary>
    public static void WriteBf16(string path, IReadOnlyList<(string Name, long[] Shape, float[] Values)> tensors)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, shape, values) in tensors)
        {
            var bytes = 2L * values.Length;
            header[name] = new JsonObject
            {
                ["dtype"] = "BF16",
                ["shape"] = new JsonArray([.. shape.Select(s => (JsonNode)JsonValue.Create(s)!)]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var headerText = header.ToJsonString();
        var headerBytes = Encoding.UTF8.GetByteCount(headerText);
        var padded = (headerBytes + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(Encoding.UTF8.GetBytes(headerText.PadRight(headerText.Length + padded - headerBytes)));
        foreach (var (_, _, values) in tensors)
        {
            var data = new byte[2 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), ToBf16(values[i]));
            }
            stream.Write(data);
        }
    }

    private static ushort ToBf16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
