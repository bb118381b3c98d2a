using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>A scorer that needs nothing but the CPU: no preflight, one item per core at once.</summary>
public abstract class RuleScorer : IItemScorer
{
    /// <inheritdoc/>
    public int Parallelism => Environment.ProcessorCount;

    /// <inheritdoc/>
    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public abstract ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken);
}
