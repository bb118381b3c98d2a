using MoCo.Native.Kernels;

namespace MoCo.Native.Inference;

/// <summary>
/// The next-token draw of one <see cref="ForwardBatch"/> entry run by <see cref="MocoKvCache.ForwardSample"/>
/// (<c>moco_sample_request</c>): <see cref="Sampling.Sample"/>'s arguments for the entry's last new position, whose
/// logits then never have to come back to the host. Buffers are the caller's and are pinned for the call.
/// </summary>
/// <param name="Options">The processors; null for <see cref="SamplingOptions.Default"/>.</param>
/// <param name="History">
/// The ids the repetition penalty applies to: prompt and generated tokens, including this entry's new tokens (the
/// native call does not add them).
/// </param>
/// <param name="Seed">The sequence's seed.</param>
/// <param name="TokensGenerated">Tokens this sample produced before this draw (0 for the first).</param>
/// <param name="SampleIndex">Which of the n samples of one prompt this is.</param>
/// <param name="Processed">
/// Empty, or output_size floats receiving the logits after the processors (filtered ids -inf), as
/// <see cref="Sampling.Sample"/>'s processed.
/// </param>
public readonly record struct SampleRequest(
    SamplingOptions? Options,
    ReadOnlyMemory<int> History,
    ulong Seed,
    ulong TokensGenerated,
    ulong SampleIndex,
    Memory<float> Processed = default);
