using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>
/// M11 (<c>moco_pso_step</c>): one particle-swarm update over weight buffers, left to right in f32:
/// v' = a v + b (p - x) + c (g - x) + d (x - w), x' = x + step v'. Thread-safe: element ranges may run in
/// parallel.
/// </summary>
public static unsafe class PsoStep
{
    /// <summary>
    /// Updates <paramref name="count"/> elements. Inputs are in <paramref name="dtype"/>, outputs in
    /// <paramref name="outDtype"/>; <paramref name="xOut"/> and <paramref name="vOut"/> may be the memory of x and v.
    /// </summary>
    /// <param name="x">Positions.</param>
    /// <param name="v">Velocities.</param>
    /// <param name="personalBest">p.</param>
    /// <param name="globalBest">g.</param>
    /// <param name="globalWorst">w.</param>
    /// <param name="dtype">Storage dtype of the five inputs.</param>
    /// <param name="count">Elements.</param>
    /// <param name="a">Inertia.</param>
    /// <param name="b">Pull towards the personal best.</param>
    /// <param name="c">Pull towards the global best.</param>
    /// <param name="d">Push away from the global worst.</param>
    /// <param name="step">Step size applied to the new velocity.</param>
    /// <param name="xOut">New positions.</param>
    /// <param name="vOut">New velocities.</param>
    /// <param name="outDtype">Storage dtype of the outputs.</param>
    public static void Step(
        ReadOnlySpan<byte> x, ReadOnlySpan<byte> v, ReadOnlySpan<byte> personalBest, ReadOnlySpan<byte> globalBest, ReadOnlySpan<byte> globalWorst,
        MocoDtype dtype, long count, float a, float b, float c, float d, float step,
        Span<byte> xOut, Span<byte> vOut, MocoDtype outDtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var inBytes = count * dtype.ElementSize();
        var outBytes = count * outDtype.ElementSize();
        SpanChecks.AtLeast(x.Length, inBytes, nameof(x), $"{count} {dtype} (bytes)");
        SpanChecks.AtLeast(v.Length, inBytes, nameof(v), $"{count} {dtype} (bytes)");
        SpanChecks.AtLeast(personalBest.Length, inBytes, nameof(personalBest), $"{count} {dtype} (bytes)");
        SpanChecks.AtLeast(globalBest.Length, inBytes, nameof(globalBest), $"{count} {dtype} (bytes)");
        SpanChecks.AtLeast(globalWorst.Length, inBytes, nameof(globalWorst), $"{count} {dtype} (bytes)");
        SpanChecks.AtLeast(xOut.Length, outBytes, nameof(xOut), $"{count} {outDtype} (bytes)");
        SpanChecks.AtLeast(vOut.Length, outBytes, nameof(vOut), $"{count} {outDtype} (bytes)");
        if (count == 0)
        {
            return;
        }

        MocoStatus status;
        fixed (byte* px = x)
        fixed (byte* pv = v)
        fixed (byte* pp = personalBest)
        fixed (byte* pg = globalBest)
        fixed (byte* pw = globalWorst)
        fixed (byte* pxo = xOut)
        fixed (byte* pvo = vOut)
        {
            status = NativeMethods.moco_pso_step(px, pv, pp, pg, pw, (int)dtype, count, a, b, c, d, step, pxo, pvo, (int)outDtype);
        }

        MocoException.ThrowIfFailed(status, "moco_pso_step");
    }
}
