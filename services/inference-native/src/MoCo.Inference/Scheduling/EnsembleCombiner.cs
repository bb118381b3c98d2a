using MoCo.Native.Kernels;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// How one ensemble step turns the members' last-position rows into one row over V* (methods-logit-weight.md L2–L4,
/// L6): weighted fusion, or contrast with the plausibility cut anchored on the best top member. Each member's row is
/// read with its own head width as stride, so ids ≥ V* never reach the draw.
/// </summary>
/// <param name="AlignedVocab">V*.</param>
/// <param name="Weights">FUSE: one weight per member, or empty for the uniform mean; null for CONTRASTIVE.</param>
/// <param name="Top">CONTRASTIVE: member indices of the top set, best first.</param>
/// <param name="Bottom">CONTRASTIVE: member indices of the bottom set, same length.</param>
/// <param name="Lambda">CONTRASTIVE: λ.</param>
/// <param name="Alpha">CONTRASTIVE: plausibility α (0 = off).</param>
internal sealed record EnsembleCombiner(int AlignedVocab, float[]? Weights, int[] Top, int[] Bottom, float Lambda, float Alpha)
{
    /// <summary>Combines the members' rows (<paramref name="rows"/>[i] is member i's row, <paramref name="widths"/>[i]
    /// its head width) into <paramref name="output"/> (V* floats).</summary>
    public void Combine(IReadOnlyList<ReadOnlyMemory<float>> rows, int[] widths, Span<float> output)
    {
        if (Weights is not null)
        {
            Logits.Fuse(rows, Weights, 1, AlignedVocab, output, widths);
            return;
        }
        var order = Top.Concat(Bottom).ToArray();
        Logits.Contrast([.. order.Select(i => rows[i])], Lambda, 1, AlignedVocab, output, [.. order.Select(i => widths[i])]);
        if (Alpha > 0)
        {
            Logits.PlausibilityCut(rows[Top[0]].Span, widths[Top[0]], Alpha, 1, AlignedVocab, output);
        }
    }
}
