using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>
/// Next-token choice from one row of logits (<c>moco_sample</c>). Reproducible by construction: the draw is
/// <see cref="SamplingUniform.Draw"/>(seed, tokensGenerated, sampleIndex), a pure function of those three, so
/// the token never depends on the batch, the thread or the caller. Thread-safe.
/// </summary>
public static unsafe class Sampling
{
    /// <summary>Returns the token id picked from <paramref name="logits"/> (one row; its length is the vocabulary).</summary>
    /// <param name="logits">The row's logits.</param>
    /// <param name="options">The processors; null for <see cref="SamplingOptions.Default"/>.</param>
    /// <param name="history">Prompt and generated ids the repetition penalty applies to (each distinct id once).</param>
    /// <param name="seed">The sequence's seed.</param>
    /// <param name="tokensGenerated">Tokens this sample produced before this draw (0 for the first).</param>
    /// <param name="sampleIndex">Which of the n samples of one prompt this is.</param>
    /// <param name="processed">
    /// Empty, or vocab floats receiving the logits after the processors (filtered ids -inf); may be the same
    /// memory as <paramref name="logits"/>.
    /// </param>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> (an option out of range, an id outside the vocabulary),
    /// <see cref="MocoStatus.Numeric"/> (NaN/+inf, or no finite logit).
    /// </exception>
    public static int Sample(
        ReadOnlySpan<float> logits,
        SamplingOptions? options,
        ReadOnlySpan<int> history,
        ulong seed,
        ulong tokensGenerated,
        ulong sampleIndex,
        Span<float> processed = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(logits.Length, nameof(logits));
        if (!processed.IsEmpty)
        {
            SpanChecks.AtLeast(processed.Length, logits.Length, nameof(processed), "one float per logit");
        }

        var native = ToNative(options);

        MocoStatus status;
        int token;
        fixed (float* z = logits)
        fixed (int* h = history)
        fixed (float* p = processed)
        {
            status = NativeMethods.moco_sample(z, logits.Length, &native, h, history.Length, seed, tokensGenerated, sampleIndex, p, out token);
        }

        MocoException.ThrowIfFailed(status, "moco_sample");
        return token;
    }

    /// <summary><paramref name="options"/> (null: <see cref="SamplingOptions.Default"/>) as the native struct.</summary>
    internal static NativeSamplingOptions ToNative(SamplingOptions? options)
    {
        options ??= SamplingOptions.Default;
        var native = NativeMethods.moco_sampling_default_options();
        native.StructSize = sizeof(NativeSamplingOptions);
        native.Temperature = options.Temperature;
        native.TopK = options.TopK;
        native.TopP = options.TopP;
        native.MinP = options.MinP;
        native.RepetitionPenalty = options.RepetitionPenalty;
        return native;
    }
}
