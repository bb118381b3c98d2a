using Microsoft.Win32.SafeHandles;

namespace MoCo.Inference.Weights;

/// <summary>
/// Reads tensor bytes through one open handle per safetensors file, kept for the reader's lifetime: a merge reads
/// each tensor in many small chunks, and opening the file for every chunk cost more than the kernels. Positioned
/// reads share a handle safely, so any number of threads may read at once.
/// </summary>
public sealed class TensorReader : IDisposable
{
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at byte <paramref name="offset"/> of <paramref name="tensor"/>.</summary>
    /// <exception cref="EndOfStreamException">The file ends first (it changed after its header was read).</exception>
    public void Read(SafetensorsTensor tensor, long offset, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var handle = Handle(tensor.File);
        while (buffer.Length > 0)
        {
            var n = RandomAccess.Read(handle, buffer, tensor.Start + offset);
            if (n == 0)
            {
                throw new EndOfStreamException($"{tensor.File}: ends inside tensor '{tensor.Name}'");
            }
            buffer = buffer[n..];
            offset += n;
        }
    }

    /// <summary>The whole tensor.</summary>
    public byte[] ReadAll(SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bytes = new byte[tensor.Bytes];
        Read(tensor, 0, bytes);
        return bytes;
    }

    /// <summary>Closes every handle.</summary>
    public void Dispose()
    {
        lock (_handles)
        {
            foreach (var handle in _handles.Values)
            {
                handle.Dispose();
            }
            _handles.Clear();
        }
    }

    private SafeFileHandle Handle(string file)
    {
        lock (_handles)
        {
            if (!_handles.TryGetValue(file, out var handle))
            {
                handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.None);
                _handles[file] = handle;
            }
            return handle;
        }
    }
}
