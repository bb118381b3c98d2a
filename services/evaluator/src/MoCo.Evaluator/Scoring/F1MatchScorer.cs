using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>f1_match (evaluation.md §2.3): token F1 of the extracted answer against the best gold alternative.</summary>
public sealed class F1MatchScorer(ScoringSettings settings) : RuleScorer
{
    /// <inheritdoc/>
    public override ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        var prediction = settings.Extracted ? output : AnswerExtractor.Extract(output, settings.Mode);
        if (settings.ExtractOnly)
        {
            return ValueTask.FromResult(ItemOutcome.ExtractedOnly(prediction));
        }
        if (GoldAnswers.ForF1(item, settings.Mode, settings.Task) is not { } golds)
        {
            return ValueTask.FromResult(ItemOutcome.Scored(0.0, prediction, ItemFlags.InvalidGold));
        }
        // The reference starts its maximum at 0.0, so an empty alias list scores 0.0.
        var score = golds.Select(g => AnswerComparison.F1(prediction, g, settings.Mode)).DefaultIfEmpty(0.0).Max();
        return ValueTask.FromResult(ItemOutcome.Scored(score, prediction));
    }
}
