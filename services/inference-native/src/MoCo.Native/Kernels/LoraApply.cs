using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>
/// M9 (<c>moco_lora_apply</c>): merges a LoRA into a weight, W' = W + scale * (B A), rounded once into the
/// output dtype, a row range at a time so large weights stream. Thread-safe: row ranges may run in parallel.
/// </summary>
public static unsafe class LoraApply
{
    /// <summary>
    /// Writes rows [rowOffset, rowOffset + rowCount) of W'. W is [rows, cols] in <paramref name="wDtype"/>;
    /// <paramref name="w"/> and <paramref name="output"/> start at row <paramref name="rowOffset"/>.
    /// Not fan-in-fan-out: A is [rank, cols], B [rows, rank]; fan-in-fan-out (W stored [in, out]): A is
    /// [rank, rows], B [cols, rank]. A and B are complete.
    /// </summary>
    /// <param name="w">The rows of W to merge.</param>
    /// <param name="wDtype">W's storage dtype.</param>
    /// <param name="rows">Rows of the whole W.</param>
    /// <param name="cols">Columns of W.</param>
    /// <param name="a">The whole lora_A.</param>
    /// <param name="aDtype">A's dtype.</param>
    /// <param name="b">The whole lora_B.</param>
    /// <param name="bDtype">B's dtype.</param>
    /// <param name="rank">r.</param>
    /// <param name="scale">lora_alpha / r (or / sqrt r for rsLoRA), resolved by the caller.</param>
    /// <param name="fanInFanOut">PEFT's fan_in_fan_out: W stored transposed.</param>
    /// <param name="rowOffset">First row written.</param>
    /// <param name="rowCount">Rows written.</param>
    /// <param name="output">rowCount * cols elements in <paramref name="outDtype"/>.</param>
    /// <param name="outDtype">Output storage dtype.</param>
    public static void Apply(
        ReadOnlySpan<byte> w, MocoDtype wDtype, long rows, long cols,
        ReadOnlySpan<byte> a, MocoDtype aDtype, ReadOnlySpan<byte> b, MocoDtype bDtype,
        int rank, float scale, bool fanInFanOut, long rowOffset, long rowCount,
        Span<byte> output, MocoDtype outDtype)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rowOffset);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rowCount, rows - rowOffset);
        SpanChecks.AtLeast(w.Length, rowCount * cols * wDtype.ElementSize(), nameof(w), $"{rowCount} rows of {cols} {wDtype} (bytes)");
        var aCols = fanInFanOut ? rows : cols;
        var bRows = fanInFanOut ? cols : rows;
        SpanChecks.AtLeast(a.Length, rank * aCols * aDtype.ElementSize(), nameof(a), $"[{rank}, {aCols}] {aDtype} (bytes)");
        SpanChecks.AtLeast(b.Length, bRows * rank * bDtype.ElementSize(), nameof(b), $"[{bRows}, {rank}] {bDtype} (bytes)");
        SpanChecks.AtLeast(output.Length, rowCount * cols * outDtype.ElementSize(), nameof(output), $"{rowCount} rows of {cols} {outDtype} (bytes)");

        MocoStatus status;
        fixed (byte* pw = w)
        fixed (byte* pa = a)
        fixed (byte* pb = b)
        fixed (byte* po = output)
        {
            status = NativeMethods.moco_lora_apply(pw, (int)wDtype, rows, cols, pa, (int)aDtype, pb, (int)bDtype, rank, scale,
                fanInFanOut ? 1 : 0, rowOffset, rowCount, po, (int)outDtype);
        }

        MocoException.ThrowIfFailed(status, "moco_lora_apply");
    }
}
