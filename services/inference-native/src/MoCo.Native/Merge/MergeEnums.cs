namespace MoCo.Native.Merge;

/// <summary>Merge method of one tensor (<c>moco_merge_method</c>): mergekit 0.1.4's methods of M7, plus ExPO and SLERP.</summary>
public enum MergeMethod
{
    /// <summary>M1 (+ M2): sum w_i theta_i, normalised by sum w_i by default. No base. Also M10.</summary>
    Linear = 0,

    /// <summary>M3 + M6 without consensus (not normalised by default).</summary>
    TaskArithmetic = 1,

    /// <summary>M3 + M4 magnitude trim + M6 (normalised by default).</summary>
    Ties = 2,

    /// <summary>M3 + M5 random drop + M6 (not normalised by default).</summary>
    DareTies = 3,

    /// <summary>M3 + M5 + M6 without consensus.</summary>
    DareLinear = 4,

    /// <summary>M8 ExPO: theta_t + alpha (theta_t - theta_s); input 0 = theta_t, base = theta_s.</summary>
    Extrapolate = 5,

    /// <summary>Spherical interpolation from the base (t = 0) to input 0 (t = 1).</summary>
    Slerp = 6,
}

/// <summary>How TIES and DARE-TIES elect each element's sign (<c>moco_merge_consensus</c>).</summary>
public enum MergeConsensus
{
    /// <summary>Sign of sum_i w_i delta_i (the default).</summary>
    Sum = 0,

    /// <summary>Sign of sum_i sign(w_i delta_i).</summary>
    Count = 1,
}

/// <summary>How DARE rescales the kept deltas (<c>moco_merge_rescale</c>).</summary>
public enum MergeRescale
{
    /// <summary>Kept deltas as dropped.</summary>
    None = 0,

    /// <summary>Restores the L1 norm (the DARE default).</summary>
    L1 = 1,

    /// <summary>Divides by density (the DARE paper).</summary>
    InverseDensity = 2,
}
