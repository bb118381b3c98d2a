using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_multiagent_refine (methods-text.md §8): BOD picks the summarizer; round 1, every model answers every test item;
/// each later round, every model rewrites its previous answer seeing the other models' previous answers (synchronous:
/// all from the same round); the summarizer writes the final answer from the last round's answers. Round-1 answers are
/// the models' baselines.
/// </summary>
public sealed class MultiagentRefineMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "text_multiagent_refine";

    /// <summary>Model i's prompt in a later round: the question, its previous answer, the others' in model order.</summary>
    public static string RefinePrompt(string question, string previous, IEnumerable<string> others) =>
        TeamSummary.Framing + " Each assistant provides their own answer: use their answers to refine and improve your own answer.\n\n"
        + $"Question: {question}\n\nYour previous answer: {previous}\n\nOther assistants' answers:\n"
        + CandidateList.Bulleted(others)
        + "\nPlease provide a refined answer to the question.";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var n = config.ModelNames.Count;
        var rounds = (int)config.Hyperparameters.Int("round");
        var selection = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        var answers = await TeamGeneration.SoloPhaseAsync(context, TeamSummary.Round(1), test, 1, cancellationToken).ConfigureAwait(false);
        var solo = await SoloAnswers.BaselinesAsync(context, test, answers, cancellationToken).ConfigureAwait(false);
        for (var round = 2; round <= rounds; round++)
        {
            var phase = TeamSummary.Round(round);
            var previous = answers;
            answers = await TeamGeneration.PhaseAsync(context, phase, [.. Enumerable.Range(0, n).Select(i => (IReadOnlyList<GenerationRequest>)
                [.. test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(phase, $"model/{i}"), ChatPrompts.ItemKey(test, item), round,
                    RefinePrompt(item.Prompt, previous[i][k].Texts[0], CandidateList.Others(n, i).Select(o => previous[o][k].Texts[0]))))])],
                cancellationToken).ConfigureAwait(false);
        }

        var summaries = await TeamSummary.RunAsync(context, test, selection.Best, answers, cancellationToken).ConfigureAwait(false);
        var scored = await FinalAnswers.ScoreAsync(context, test, summaries, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, selection.Details()) { Baselines = SoloAnswers.Baselines(context, solo) };
    }
}
