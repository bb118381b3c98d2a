using MoCo.Native.Merge;

namespace MoCo.Inference.Weights;

/// <summary>
/// The chunk buffers of one tensor's merge, allocated once and refilled for each chunk: for output rows
/// [row, row + n), the bytes of each used input (and the base) those rows read, whole rows of each tensor's own width
/// (a cut embedding reads the first cols of each of its wider rows).
/// </summary>
internal sealed class ChunkReader
{
    private readonly MergePlan _plan;
    private readonly TensorReader _reader;
    private readonly IReadOnlyList<SafetensorsTensor> _tensors;
    private readonly SafetensorsTensor? _base;
    private readonly long _cols;
    private readonly byte[][] _inputBuffers;
    private readonly byte[] _baseBuffer;
    private readonly ReadOnlyMemory<byte>[] _inputs;

    /// <param name="plan">The tensor's plan (which inputs it uses).</param>
    /// <param name="reader">Open files.</param>
    /// <param name="tensors">Each input's tensor.</param>
    /// <param name="baseTensor">The base's tensor when the method reads it, else null.</param>
    /// <param name="maxRows">The most output rows one chunk holds.</param>
    /// <param name="cols">Output row length.</param>
    public ChunkReader(MergePlan plan, TensorReader reader, IReadOnlyList<SafetensorsTensor> tensors, SafetensorsTensor? baseTensor, long maxRows, long cols)
    {
        _plan = plan;
        _reader = reader;
        _tensors = tensors;
        _base = baseTensor;
        _cols = cols;
        _inputBuffers = [.. tensors.Select((t, i) => plan.IsInputUsed(i) ? new byte[Span(t, maxRows)] : [])];
        _baseBuffer = baseTensor is null ? [] : new byte[Span(baseTensor, maxRows)];
        _inputs = new ReadOnlyMemory<byte>[tensors.Count];
    }

    /// <summary>Each input's bytes for the last chunk read (empty for skipped inputs).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Inputs => _inputs;

    /// <summary>The base's bytes for the last chunk read (empty when not read).</summary>
    public ReadOnlyMemory<byte> Base { get; private set; }

    /// <summary>Fills the buffers for output rows [row, row + n).</summary>
    public void Read(long row, long n)
    {
        for (var i = 0; i < _tensors.Count; i++)
        {
            _inputs[i] = _plan.IsInputUsed(i) ? Rows(_tensors[i], _inputBuffers[i], row, n) : ReadOnlyMemory<byte>.Empty;
        }
        Base = _base is null ? ReadOnlyMemory<byte>.Empty : Rows(_base, _baseBuffer, row, n);
    }

    private ReadOnlyMemory<byte> Rows(SafetensorsTensor t, byte[] buffer, long row, long n)
    {
        var size = ElementSize(t);
        var inCols = InCols(t);
        var length = (int)((((n - 1) * inCols) + _cols) * size);
        _reader.Read(t, row * inCols * size, buffer.AsSpan(0, length));
        return buffer.AsMemory(0, length);
    }

    private long Span(SafetensorsTensor t, long rows) => (((rows - 1) * InCols(t)) + _cols) * ElementSize(t);

    private static long ElementSize(SafetensorsTensor t) => t.Bytes / Math.Max(1, t.Numel);

    private static long InCols(SafetensorsTensor t) => t.Shape.Length == 0 ? 1 : t.Shape[^1];
}
