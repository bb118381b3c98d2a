using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Scoring;

namespace MoCo.Evaluator.Tests.Support;

/// <summary>Rule-based scorers called directly, without a service.</summary>
public static class Scorers
{
    public static ScoringSettings Settings(CompatMode mode = CompatMode.Moco, string task = "test", bool extracted = false, bool extractOnly = false,
        DatasetSplit split = DatasetSplit.Test) => new(mode, extracted, extractOnly, task, split, "0000");

    public static ItemOutcome Score(IItemScorer scorer, DatasetItem item, string? output, CompatMode mode = CompatMode.Moco)
    {
        var (text, _) = ModelOutput.Prepare(output, mode);
        return scorer.ScoreAsync(item, text, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}
