using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// What the round-based team methods share: the team framing and the phase name of each round (text_multiagent_feedback
/// §7, text_multiagent_refine §8, text_structure §9), and the whole run of feedback and refine — BOD picks the
/// summarizer, every model answers every test item alone (round 1, also the models' baselines), each later round is the
/// method's step from the previous round's answers, and the summarizer writes the final answer to each item from all
/// last answers in model order (its own included). The reference's feedback summary prompt lacks its first letter;
/// both methods use the refine wording.
/// </summary>
internal static class TeamRounds
{
    /// <summary>Phase of the summaries.</summary>
    public const string SummaryPhase = "test · summarize";

    /// <summary>The framing every team prompt opens with.</summary>
    public const string Framing = "You are part of a team of AI assistants collaborating to answer the user's question.";

    /// <summary>One later round: (run, round number, test split, previous answers per model per item) → the new answers.</summary>
    public delegate Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> Step(MethodContext context, int round, TaskSplit test, IReadOnlyList<IReadOnlyList<GenerationResult>> previous,
        CancellationToken cancellationToken);

    /// <summary>The phase of round <paramref name="round"/> (1-based), with an optional step name.</summary>
    public static string Round(int round, string? step = null) => step is null ? $"test · round {round}" : $"test · round {round} · {step}";

    /// <summary>The summary prompt of one question.</summary>
    public static string SummaryPrompt(string question, IEnumerable<string> answers) =>
        Framing + " Each assistant provides their own answer: use their answers to create a final, comprehensive answer.\n\n"
        + $"Question: {question}\n\nAssistants' answers:\n"
        + CandidateList.Bulleted(answers)
        + "\nPlease provide a final, comprehensive answer to the question.";

    /// <summary>Runs <paramref name="rounds"/> rounds (later ones by <paramref name="step"/>), the summary and the scoring.</summary>
    public static async Task<MethodOutcome> RunAsync(MethodContext context, int rounds, Step step, CancellationToken cancellationToken)
    {
        var selection = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        var answers = await TeamGeneration.SoloPhaseAsync(context, Round(1), test, 1, cancellationToken).ConfigureAwait(false);
        var solo = await SoloAnswers.BaselinesAsync(context, test, answers, cancellationToken).ConfigureAwait(false);
        for (var round = 2; round <= rounds; round++)
        {
            answers = await step(context, round, test, answers, cancellationToken).ConfigureAwait(false);
        }

        var summarizer = selection.Best;
        var requests = test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(SummaryPhase, $"model/{summarizer}"), ChatPrompts.ItemKey(test, item), 0,
            SummaryPrompt(item.Prompt, answers.Select(a => a[k].Texts[0])))).ToList();
        var summaries = await TeamGeneration.OneModelPhaseAsync(context, SummaryPhase, summarizer, requests, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, summaries, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(context.Config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, selection.Details()) { Baselines = SoloAnswers.Baselines(context, solo) };
    }
}
