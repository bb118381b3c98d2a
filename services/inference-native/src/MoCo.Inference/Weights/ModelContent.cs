namespace MoCo.Inference.Weights;

/// <summary>
/// Whether two model folders hold the same model: the same non-weight files byte for byte, and the same tensors
/// (name, dtype, shape, bytes) however the safetensors files are laid out or sharded. Reads both in full, a chunk at a
/// time: a fingerprint samples the weights and could call different models equal.
/// </summary>
public static class ModelContent
{
    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> hold the same model.</summary>
    public static bool Equal(string a, string b)
    {
        var files = ModelFiles.NonWeights(a);
        if (!files.SequenceEqual(ModelFiles.NonWeights(b)) || files.Any(f => !SameFile(Path.Combine(a, f), Path.Combine(b, f))))
        {
            return false;
        }
        var left = SafetensorsTensors.Read(a).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var right = SafetensorsTensors.Read(b);
        if (left.Count != right.Count)
        {
            return false;
        }
        using var reader = new TensorReader();
        return right.All(r => left.TryGetValue(r.Name, out var l) && l.Dtype == r.Dtype && l.Shape.SequenceEqual(r.Shape) && SameBytes(reader, l, r));
    }

    private static bool SameFile(string a, string b) =>
        new FileInfo(a).Length == new FileInfo(b).Length && File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));

    private static bool SameBytes(TensorReader reader, SafetensorsTensor a, SafetensorsTensor b)
    {
        if (a.Bytes != b.Bytes)
        {
            return false;
        }
        var size = (int)Math.Min(a.Bytes, MergeParallelism.ChunkBytes);
        var x = new byte[size];
        var y = new byte[size];
        for (var done = 0L; done < a.Bytes; done += size)
        {
            var n = (int)Math.Min(size, a.Bytes - done);
            reader.Read(a, done, x.AsSpan(0, n));
            reader.Read(b, done, y.AsSpan(0, n));
            if (!x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, n)))
            {
                return false;
            }
        }
        return true;
    }
}
