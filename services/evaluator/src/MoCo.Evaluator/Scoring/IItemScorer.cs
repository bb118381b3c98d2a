using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>Scores outputs of one Evaluate call, item by item; one instance per call, so it may keep per-call
/// state (e.g. a judge already known to be unavailable).</summary>
public interface IItemScorer
{
    /// <summary>How many items may be scored at once.</summary>
    int Parallelism { get; }

    /// <summary>Checks what scoring needs before any item (interpreter, isolation, judge model); throws
    /// FAILED_PRECONDITION naming what is missing and how to provide it.</summary>
    Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Scores <paramref name="output"/> (already prepared: null → "", reasoning stripped in moco) for
    /// <paramref name="item"/>.</summary>
    ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken);
}
