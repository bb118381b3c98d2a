using MoCo.Native.Training;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Training;

/// <summary>What one optimizer step trains: given the step's micro-batches as indices into the job's units, the
/// sequences of each micro-batch. SFT and DPO train their units as sent; policy gradient samples them first.</summary>
public interface IStepBatches
{
    /// <summary>The sequences of each micro-batch of step <paramref name="step"/> (0-based), drawn, where a source
    /// samples, from <paramref name="trainer"/>'s current weights.</summary>
    IEnumerable<NativeExample[]> ForStep(MocoTrainer trainer, int step, IReadOnlyList<int[]> microBatches);
}

/// <summary>SFT and DPO: each micro-batch is its units' sequences.</summary>
public sealed class FixedBatches(IReadOnlyList<NativeExample[]> units) : IStepBatches
{
    /// <inheritdoc/>
    public IEnumerable<NativeExample[]> ForStep(MocoTrainer trainer, int step, IReadOnlyList<int[]> microBatches) =>
        microBatches.Select(batch => batch.SelectMany(i => units[i]).ToArray());
}
