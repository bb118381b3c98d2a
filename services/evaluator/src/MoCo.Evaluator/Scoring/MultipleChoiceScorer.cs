using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// multiple_choice (evaluation.md §2.1): 1.0 iff the parsed letter equals the gold. Gold in `moco` is the
/// positional letter of the answer key; in `reference` the raw `answer` string (Q1: digit and `id` keys never
/// score). EXTRACTED outputs are letters compared as given, as text_majority_vote does.
/// </summary>
public sealed class MultipleChoiceScorer(ScoringSettings settings) : RuleScorer
{
    /// <inheritdoc/>
    public override ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        var choices = item.Choices();
        string? letter;
        if (settings.Extracted)
        {
            letter = output.Length == 0 ? null : output;
        }
        else
        {
            var position = MultipleChoiceParser.Parse(output, choices.Select(c => c.Text).ToList(), settings.Mode);
            letter = position is { } p ? MultipleChoiceParser.Letter(p).ToString() : null;
        }
        if (settings.ExtractOnly)
        {
            return ValueTask.FromResult(ItemOutcome.ExtractedOnly(letter));
        }
        var answer = item.String("answer")!;
        var gold = settings.Mode == CompatMode.Moco
            ? MultipleChoiceParser.Letter(choices.Select(c => c.Label).ToList().IndexOf(answer)).ToString()
            : answer;
        return ValueTask.FromResult(ItemOutcome.Scored(letter is not null && letter == gold ? 1.0 : 0.0, letter));
    }
}
