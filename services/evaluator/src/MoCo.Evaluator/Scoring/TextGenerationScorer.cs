using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>text_generation (evaluation.md §2.7): dev is scored as reward_model; test gets 0.0 per item with flag
/// unscored (metric none) and no model call.</summary>
public sealed class TextGenerationScorer(ScoringSettings settings, RewardModelScorer reward) : IItemScorer
{
    private bool Unscored => settings.Split == DatasetSplit.Test;

    /// <inheritdoc/>
    public int Parallelism => Unscored ? Environment.ProcessorCount : reward.Parallelism;

    /// <inheritdoc/>
    public Task PrepareAsync(CancellationToken cancellationToken) => Unscored ? Task.CompletedTask : reward.PrepareAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        if (!Unscored)
        {
            return reward.ScoreAsync(item, output, cancellationToken);
        }
        return ValueTask.FromResult(settings.ExtractOnly ? ItemOutcome.ExtractedOnly(null) : ItemOutcome.Scored(0.0, null, ItemFlags.Unscored));
    }
}
