namespace MoCo.Native.Merge;

/// <summary>
/// What to merge for one tensor name (<c>moco_merge_spec</c>). Fields that do not apply to the method must stay
/// at their defaults (libmoco rejects them otherwise, so a misconfigured merge fails instead of being ignored).
/// </summary>
/// <param name="Method">The merge method.</param>
/// <param name="TensorName">The tensor's name: part of the M5 random stream and of every message.</param>
/// <param name="Inputs">At least one input.</param>
public sealed record MergeSpec(MergeMethod Method, string TensorName, IReadOnlyList<MergeInput> Inputs)
{
    /// <summary>theta_b (task arithmetic, TIES, DARE), theta_s (extrapolate), the t = 0 end (SLERP); null for LINEAR.</summary>
    public TensorDesc? Base { get; init; }

    /// <summary>True for embed_tokens / lm_head: M2/M3 shape rectification applies.</summary>
    public bool IsEmbedding { get; init; }

    /// <summary>Storage dtype of the output.</summary>
    public MocoDtype OutputDtype { get; init; } = MocoDtype.F32;

    /// <summary>Divide by the weight sum; null = the method's default (M7).</summary>
    public bool? Normalize { get; init; }

    /// <summary>Sign election of TIES and DARE-TIES.</summary>
    public MergeConsensus Consensus { get; init; } = MergeConsensus.Sum;

    /// <summary>DARE rescaling; null = the method's default (L1 for DARE).</summary>
    public MergeRescale? Rescale { get; init; }

    /// <summary>M6 scale of the merged delta.</summary>
    public float Lambda { get; init; } = 1f;

    /// <summary>Extrapolate's alpha.</summary>
    public float Alpha { get; init; }

    /// <summary>SLERP's t.</summary>
    public float T { get; init; }

    /// <summary>The run seed: the M5 stream.</summary>
    public ulong Seed { get; init; }
}
