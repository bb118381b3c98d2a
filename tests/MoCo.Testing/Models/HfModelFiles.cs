using System.Text;
using System.Text.Json;

namespace MoCo.Testing.Models;

/// <summary>Files of a Hugging Face model directory written by tests: JSON files, and safetensors files whose header
/// declares the given shapes over zero-filled data (enough for everything that reads headers only).</summary>
public static class HfModelFiles
{
    /// <summary>Writes <paramref name="content"/> as JSON to <paramref name="dir"/>/<paramref name="file"/>.</summary>
    public static void Write(string dir, string file, object content) =>
        File.WriteAllText(Path.Combine(dir, file), JsonSerializer.Serialize(content));

    /// <summary>Writes a safetensors file of zero-filled tensors with these shapes, all of <paramref name="dtype"/>
    /// (F32, F16 or BF16).</summary>
    public static void WriteSafetensors(string path, Dictionary<string, long[]> tensors, string dtype = "F32")
    {
        var elementBytes = dtype == "F32" ? 4L : 2L;
        long offset = 0;
        var header = new Dictionary<string, object>();
        foreach (var (name, shape) in tensors)
        {
            var bytes = shape.Aggregate(elementBytes, (a, b) => a * b);
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        file.Write(new byte[offset]);
    }
}
