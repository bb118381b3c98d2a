namespace MoCo.Inference.Weights;

/// <summary>
/// One file or tensor being received in chunks: its declared size and the byte ranges received so far. Chunks may
/// come in any order but must agree on the size, stay inside it and not overlap; the part is complete when the
/// ranges cover it exactly.
/// </summary>
internal sealed class ChunkedPart(long total, long position)
{
    private readonly List<(long Offset, long Length)> _ranges = [];

    /// <summary>Declared byte size.</summary>
    public long Total { get; } = total;

    /// <summary>Where the part's first byte goes in its staging file.</summary>
    public long Position { get; } = position;

    /// <summary>Bytes received.</summary>
    public long Received { get; private set; }

    /// <summary>Whether every byte has come.</summary>
    public bool Complete => Received == Total;

    /// <summary>Records a chunk; returns why it is inconsistent, or null.</summary>
    public string? Add(long offset, long length)
    {
        if (offset < 0 || offset + length > Total)
        {
            return $"chunk [{offset}, {offset + length}) lies outside its {Total} bytes";
        }
        foreach (var (o, l) in _ranges)
        {
            if (offset < o + l && o < offset + length)
            {
                return $"chunk [{offset}, {offset + length}) overlaps one received before at [{o}, {o + l})";
            }
        }
        _ranges.Add((offset, length));
        Received += length;
        return null;
    }
}
