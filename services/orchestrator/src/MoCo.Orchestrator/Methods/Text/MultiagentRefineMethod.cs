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
        TeamRounds.Framing + " Each assistant provides their own answer: use their answers to refine and improve your own answer.\n\n"
        + $"Question: {question}\n\nYour previous answer: {previous}\n\nOther assistants' answers:\n"
        + CandidateList.Bulleted(others)
        + "\nPlease provide a refined answer to the question.";

    /// <inheritdoc/>
    public Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken) =>
        TeamRounds.RunAsync(context, (int)context.Config.Hyperparameters.Int("round"), RefineAsync, cancellationToken);

    // Every model rewrites its previous answer seeing the others' previous answers (synchronous).
    private static Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> RefineAsync(MethodContext context, int round, TaskSplit test,
        IReadOnlyList<IReadOnlyList<GenerationResult>> previous, CancellationToken cancellationToken)
    {
        var n = previous.Count;
        var phase = TeamRounds.Round(round);
        return TeamGeneration.PhaseAsync(context, phase, [.. Enumerable.Range(0, n).Select(i => (IReadOnlyList<GenerationRequest>)
            [.. test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(phase, $"model/{i}"), ChatPrompts.ItemKey(test, item), round,
                RefinePrompt(item.Prompt, previous[i][k].Texts[0], CandidateList.Others(n, i).Select(o => previous[o][k].Texts[0]))))])], cancellationToken);
    }
}
