namespace MoCo.Native.Merge;

/// <summary>One input model's tensor in a merge (<c>moco_merge_input</c>).</summary>
/// <param name="Tensor">The input's dtype and shape.</param>
/// <param name="Weight">Finite; the M1/M6 weight.</param>
/// <param name="ModelIndex">The input's index in the merge's model list: it selects the M5 random stream, so it must be stable across tensors.</param>
/// <param name="Density">TIES/DARE: fraction kept (1 keeps all and is required by the other methods).</param>
public sealed record MergeInput(TensorDesc Tensor, float Weight, int ModelIndex, double Density = 1.0);
