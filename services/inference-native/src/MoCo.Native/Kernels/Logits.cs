using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>
/// The logit arithmetic of the logit-level methods (L1-L4 and per-row statistics) over caller buffers of
/// f32 rows [rows, vocab]. Thread-safe and deterministic: every reduction has one documented order (moco.h),
/// so results are the same bits on every thread and machine. -inf is a probability of 0; NaN and +inf are
/// <see cref="MocoStatus.Numeric"/>. Zero rows is a no-op.
/// </summary>
public static unsafe class Logits
{
    /// <summary>L1 log-softmax of each row into <paramref name="output"/>, which may be the same memory as <paramref name="logits"/>.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> logits, int rows, int vocab, Span<float> output)
    {
        SpanChecks.Shape(rows, vocab);
        SpanChecks.AtLeast(logits.Length, (long)rows * vocab, nameof(logits), $"[{rows}, {vocab}]");
        SpanChecks.AtLeast(output.Length, (long)rows * vocab, nameof(output), $"[{rows}, {vocab}]");
        if (rows == 0)
        {
            return;
        }

        fixed (float* z = logits)
        fixed (float* o = output)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_log_softmax(z, rows, vocab, o), "moco_log_softmax");
        }
    }

    /// <summary>
    /// L2 weighted fusion: out = sum of w_i z_i over the inputs with w_i != 0, in input order (weight-0 inputs
    /// skipped, so (1, 0) reproduces input 0 bit for bit); empty <paramref name="weights"/> averages.
    /// </summary>
    /// <param name="inputs">One [rows, stride] buffer per model; only the first <paramref name="vocab"/> columns are read (L6).</param>
    /// <param name="weights">One weight per input, or empty for the uniform mean.</param>
    /// <param name="rows">Rows of every input.</param>
    /// <param name="vocab">Columns fused: the common vocabulary.</param>
    /// <param name="output">[rows, vocab]; must not overlap an input.</param>
    /// <param name="strides">Row stride of each input, or empty for <paramref name="vocab"/>.</param>
    public static void Fuse(IReadOnlyList<ReadOnlyMemory<float>> inputs, ReadOnlySpan<float> weights, int rows, int vocab, Span<float> output, ReadOnlySpan<int> strides = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs.Count, 1, nameof(inputs));
        if (!weights.IsEmpty && weights.Length != inputs.Count)
        {
            throw new ArgumentException($"has {weights.Length} weights for {inputs.Count} inputs; pass one per input or none", nameof(weights));
        }

        CheckInputs(inputs, strides, rows, vocab);
        SpanChecks.AtLeast(output.Length, (long)rows * vocab, nameof(output), $"[{rows}, {vocab}]");
        if (rows == 0)
        {
            return;
        }

        using var pinned = PinnedBuffers.Pin(inputs);
        fixed (int* s = strides)
        fixed (float* w = weights)
        fixed (float* o = output)
        {
            MocoException.ThrowIfFailed(
                NativeMethods.moco_logits_fuse((float**)pinned.Pointers, s, w, inputs.Count, rows, vocab, o),
                "moco_logits_fuse");
        }
    }

    /// <summary>
    /// L3 contrastive combination of 2k models in ranking order: inputs[0..k) the top k (best first),
    /// inputs[k..2k) the bottom k; out = lambda * sum_j (top_j - bottom_j) + top_1.
    /// </summary>
    public static void Contrast(IReadOnlyList<ReadOnlyMemory<float>> inputs, float lambda, int rows, int vocab, Span<float> output, ReadOnlySpan<int> strides = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count < 2 || inputs.Count % 2 != 0)
        {
            throw new ArgumentException($"has {inputs.Count} inputs; contrast needs 2k (top k, then bottom k)", nameof(inputs));
        }

        CheckInputs(inputs, strides, rows, vocab);
        SpanChecks.AtLeast(output.Length, (long)rows * vocab, nameof(output), $"[{rows}, {vocab}]");
        if (rows == 0)
        {
            return;
        }

        using var pinned = PinnedBuffers.Pin(inputs);
        fixed (int* s = strides)
        fixed (float* o = output)
        {
            MocoException.ThrowIfFailed(
                NativeMethods.moco_logits_contrast((float**)pinned.Pointers, s, inputs.Count / 2, lambda, rows, vocab, o),
                "moco_logits_contrast");
        }
    }

    /// <summary>
    /// L4 plausibility cut, in place: for alpha &gt; 0, sets logits[r][v] to -inf unless
    /// anchor[r][v] &gt;= max anchor[r] + ln alpha; the anchor is top_1's raw row (apply after <see cref="Contrast"/>).
    /// </summary>
    public static void PlausibilityCut(ReadOnlySpan<float> anchor, int anchorStride, float alpha, int rows, int vocab, Span<float> logits)
    {
        SpanChecks.Shape(rows, vocab);
        ArgumentOutOfRangeException.ThrowIfLessThan(anchorStride, vocab);
        SpanChecks.AtLeast(anchor.Length, SpanChecks.Strided(rows, anchorStride, vocab), nameof(anchor), $"{rows} rows of stride {anchorStride}");
        SpanChecks.AtLeast(logits.Length, (long)rows * vocab, nameof(logits), $"[{rows}, {vocab}]");
        if (rows == 0)
        {
            return;
        }

        fixed (float* a = anchor)
        fixed (float* z = logits)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_logits_plausibility_cut(a, anchorStride, alpha, rows, vocab, z), "moco_logits_plausibility_cut");
        }
    }

    /// <summary>Entropy in nats of softmax of each row (uncertainty signals for switching methods).</summary>
    public static void Entropy(ReadOnlySpan<float> logits, int rows, int vocab, Span<float> output)
    {
        CheckRowStatistic(logits, rows, vocab, output);
        if (rows == 0)
        {
            return;
        }

        fixed (float* z = logits)
        fixed (float* o = output)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_logits_entropy(z, rows, vocab, o), "moco_logits_entropy");
        }
    }

    /// <summary>The largest probability of softmax of each row, untempered (confidence for cascades).</summary>
    public static void Top1Prob(ReadOnlySpan<float> logits, int rows, int vocab, Span<float> output)
    {
        CheckRowStatistic(logits, rows, vocab, output);
        if (rows == 0)
        {
            return;
        }

        fixed (float* z = logits)
        fixed (float* o = output)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_logits_top1_prob(z, rows, vocab, o), "moco_logits_top1_prob");
        }
    }

    /// <summary>
    /// The k largest values of each row, descending, ties lowest index first: ids[r * k + j] and, unless
    /// <paramref name="topValues"/> is empty, their values. Pass log-probs for (id, log-prob) pairs.
    /// </summary>
    public static void TopK(ReadOnlySpan<float> values, int rows, int vocab, int k, Span<int> ids, Span<float> topValues = default)
    {
        SpanChecks.Shape(rows, vocab);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, vocab);
        SpanChecks.AtLeast(values.Length, (long)rows * vocab, nameof(values), $"[{rows}, {vocab}]");
        SpanChecks.AtLeast(ids.Length, (long)rows * k, nameof(ids), $"[{rows}, {k}]");
        if (!topValues.IsEmpty)
        {
            SpanChecks.AtLeast(topValues.Length, (long)rows * k, nameof(topValues), $"[{rows}, {k}]");
        }

        if (rows == 0)
        {
            return;
        }

        fixed (float* v = values)
        fixed (int* i = ids)
        fixed (float* t = topValues)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_logits_top_k(v, rows, vocab, k, i, t), "moco_logits_top_k");
        }
    }

    private static void CheckRowStatistic(ReadOnlySpan<float> logits, int rows, int vocab, Span<float> output)
    {
        SpanChecks.Shape(rows, vocab);
        SpanChecks.AtLeast(logits.Length, (long)rows * vocab, nameof(logits), $"[{rows}, {vocab}]");
        SpanChecks.AtLeast(output.Length, rows, nameof(output), "one value per row");
    }

    private static void CheckInputs(IReadOnlyList<ReadOnlyMemory<float>> inputs, ReadOnlySpan<int> strides, int rows, int vocab)
    {
        SpanChecks.Shape(rows, vocab);
        if (!strides.IsEmpty && strides.Length != inputs.Count)
        {
            throw new ArgumentException($"has {strides.Length} strides for {inputs.Count} inputs; pass one per input or none", nameof(strides));
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            var stride = strides.IsEmpty ? vocab : strides[i];
            if (stride < vocab)
            {
                throw new ArgumentException($"stride {i} is {stride}, below vocab {vocab}", nameof(strides));
            }

            SpanChecks.AtLeast(inputs[i].Length, SpanChecks.Strided(rows, stride, vocab), nameof(inputs), $"input {i} ({rows} rows of stride {stride})");
        }
    }
}
