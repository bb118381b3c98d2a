namespace MoCo.Native.Merge;

/// <summary>What a <see cref="MergePlan"/> produces (<c>moco_merge_plan_info</c>).</summary>
/// <param name="Output">Output dtype and shape.</param>
/// <param name="Numel">Output elements: chunks cover [0, Numel).</param>
/// <param name="Cols">Output row length, through which chunk offsets map into cut inputs.</param>
/// <param name="InputsUsed">Inputs that take part (the others were skipped by M3: a warning to report).</param>
/// <param name="NeedsScan">True when scan passes over the whole tensor must run before apply.</param>
public sealed record MergePlanInfo(TensorDesc Output, long Numel, long Cols, int InputsUsed, bool NeedsScan);
