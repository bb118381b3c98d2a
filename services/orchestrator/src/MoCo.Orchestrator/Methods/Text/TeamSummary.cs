using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// What text_multiagent_feedback (methods-text.md §7) and text_multiagent_refine (§8) share: the team framing, the
/// phase name of each round, and the summary step — the best-on-dev model writes the final answer to each test item
/// from all current answers in model order (its own included). The reference's feedback summary prompt lacks its
/// first letter; both methods use the refine wording.
/// </summary>
internal static class TeamSummary
{
    /// <summary>Phase of the summaries.</summary>
    public const string Phase = "test · summarize";

    /// <summary>The framing every team prompt opens with.</summary>
    public const string Framing = "You are part of a team of AI assistants collaborating to answer the user's question.";

    /// <summary>The phase of round <paramref name="round"/> (1-based), with an optional step name.</summary>
    public static string Round(int round, string? step = null) => step is null ? $"test · round {round}" : $"test · round {round} · {step}";

    /// <summary>The summary prompt of one question.</summary>
    public static string Prompt(string question, IEnumerable<string> answers) =>
        Framing + " Each assistant provides their own answer: use their answers to create a final, comprehensive answer.\n\n"
        + $"Question: {question}\n\nAssistants' answers:\n"
        + CandidateList.Bulleted(answers)
        + "\nPlease provide a final, comprehensive answer to the question.";

    /// <summary>Model <paramref name="summarizer"/> summarizes <paramref name="answers"/> (per model, per test item).</summary>
    public static async Task<IReadOnlyList<GenerationResult>> RunAsync(MethodContext context, TaskSplit test, int summarizer,
        IReadOnlyList<IReadOnlyList<GenerationResult>> answers, CancellationToken cancellationToken)
    {
        var requests = test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(Phase, $"model/{summarizer}"), ChatPrompts.ItemKey(test, item), 0,
            Prompt(item.Prompt, answers.Select(a => a[k].Texts[0])))).ToList();
        var results = await TeamGeneration.PhaseAsync(context, Phase,
            [.. answers.Select((_, i) => i == summarizer ? requests : (IReadOnlyList<GenerationRequest>)[])], cancellationToken).ConfigureAwait(false);
        return results[summarizer];
    }
}
