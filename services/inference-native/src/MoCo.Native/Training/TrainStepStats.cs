namespace MoCo.Native.Training;

/// <summary>What one optimizer step did (<c>moco_train_step_stats</c>).</summary>
/// <param name="Step">Optimizer steps taken, this one included.</param>
/// <param name="Loss">The step's mean loss (per <see cref="LossKind"/> unit), before the update.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="LearningRate">The learning rate this step used.</param>
/// <param name="Tokens">Tokens forwarded through the policy in this step.</param>
/// <param name="TargetTokens">Of which targets.</param>
/// <param name="DpoMargin">DPO: mean over the step's pairs of the chosen-minus-rejected log-ratio (without beta); else 0.</param>
public sealed record TrainStepStats(long Step, float Loss, float GradNorm, float LearningRate, long Tokens, long TargetTokens, float DpoMargin);
