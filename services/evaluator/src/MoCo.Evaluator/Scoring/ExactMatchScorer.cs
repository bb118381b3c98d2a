using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>exact_match (evaluation.md §2.2): extract the answer (unless already extracted) and compare it with
/// every gold alternative; the best counts.</summary>
public sealed class ExactMatchScorer(ScoringSettings settings) : RuleScorer
{
    /// <inheritdoc/>
    public override ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        var prediction = settings.Extracted ? output : AnswerExtractor.Extract(output, settings.Mode);
        if (settings.ExtractOnly)
        {
            return ValueTask.FromResult(ItemOutcome.ExtractedOnly(prediction));
        }
        if (GoldAnswers.ForExactMatch(item, settings.Mode) is not { } golds)
        {
            return ValueTask.FromResult(ItemOutcome.Scored(0.0, prediction, ItemFlags.InvalidGold));
        }
        var score = golds.Max(g => AnswerComparison.ExactMatch(prediction, g, settings.Mode));
        return ValueTask.FromResult(ItemOutcome.Scored(score, prediction));
    }
}
