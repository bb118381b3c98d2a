namespace MoCo.Native.Kernels;

/// <summary>
/// The logits processors of <see cref="Sampling.Sample"/> (<c>moco_sampling_options</c>), applied in Hugging
/// Face's order: repetition penalty, temperature, top-k, top-p, min-p. The defaults are libmoco's: plain
/// sampling at temperature 1.
/// </summary>
/// <param name="Temperature">0 = greedy (argmax after the penalty, nothing drawn); else &gt; 0 and finite.</param>
/// <param name="TopK">0 = off; else keep ids whose logit is &gt;= the k-th largest (ties survive).</param>
/// <param name="TopP">In [0, 1]; 1 = off.</param>
/// <param name="MinP">In [0, 1]; 0 = off.</param>
/// <param name="RepetitionPenalty">&gt; 0 and finite; 1 = off.</param>
public sealed record SamplingOptions(
    float Temperature = 1f,
    int TopK = 0,
    float TopP = 1f,
    float MinP = 0f,
    float RepetitionPenalty = 1f)
{
    /// <summary>libmoco's defaults: plain sampling at temperature 1.</summary>
    public static SamplingOptions Default { get; } = new();

    /// <summary>Greedy decoding: temperature 0.</summary>
    public static SamplingOptions Greedy { get; } = new(Temperature: 0f);
}
