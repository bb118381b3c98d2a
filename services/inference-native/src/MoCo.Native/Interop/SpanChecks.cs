namespace MoCo.Native.Interop;

/// <summary>
/// Length checks run before a native call: libmoco trusts the sizes it is given, so a short buffer must fail
/// here, as an <see cref="ArgumentException"/> naming the caller's parameter, never as a native overrun.
/// </summary>
internal static class SpanChecks
{
    /// <summary>Throws unless <paramref name="length"/> elements cover <paramref name="needed"/>.</summary>
    public static void AtLeast(long length, long needed, string parameter, string what)
    {
        if (length < needed)
        {
            throw new ArgumentException($"holds {length} elements but {what} needs {needed}", parameter);
        }
    }

    /// <summary>Elements a strided [rows, vocab] view reads: (rows - 1) * stride + vocab, 0 for no rows.</summary>
    public static long Strided(int rows, int stride, int vocab) => rows == 0 ? 0 : ((long)(rows - 1) * stride) + vocab;

    /// <summary>Throws for rows &lt; 0 or vocab &lt; 1, the shape rule every logits kernel shares.</summary>
    public static void Shape(int rows, int vocab)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocab, 1);
    }
}
