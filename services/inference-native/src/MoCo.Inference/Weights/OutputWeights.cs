using Microsoft.Win32.SafeHandles;

namespace MoCo.Inference.Weights;

/// <summary>
/// One safetensors file being written by a merge: laid out from the output entries up front, so each tensor's bytes
/// go to their own position from whichever thread computes them.
/// </summary>
public sealed class OutputWeights : IDisposable
{
    private readonly SafetensorsLayout _layout;
    private readonly SafeFileHandle _handle;

    /// <summary>Creates <paramref name="path"/> holding <paramref name="entries"/> in that order.</summary>
    public OutputWeights(string path, IReadOnlyList<TensorEntry> entries)
    {
        _layout = new SafetensorsLayout(entries);
        _handle = _layout.Create(path);
    }

    /// <summary>Writes <paramref name="data"/> at byte <paramref name="offset"/> of tensor <paramref name="name"/>.</summary>
    public void Write(string name, long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(_handle, data, _layout.Position(name) + offset);

    /// <summary>Copies <paramref name="tensor"/>'s bytes unchanged into tensor <paramref name="name"/>, a few MiB at a time.</summary>
    public void Copy(string name, SafetensorsTensor tensor, TensorReader reader)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(reader);
        var buffer = new byte[(int)Math.Min(tensor.Bytes, MergeParallelism.ChunkBytes)];
        for (var done = 0L; done < tensor.Bytes; done += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, tensor.Bytes - done);
            reader.Read(tensor, done, buffer.AsSpan(0, n));
            Write(name, done, buffer.AsSpan(0, n));
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();
}
