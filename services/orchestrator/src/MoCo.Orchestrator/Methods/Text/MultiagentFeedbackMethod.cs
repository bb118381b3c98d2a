using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_multiagent_feedback (methods-text.md §7): BOD picks the summarizer; round 1, every model answers every test
/// item; each later round, every answer A_i[j] gets free-text feedback from f = min(feedback_count, N−1) other models
/// drawn without replacement (seeded per round, receiver outer, item inner), then model i revises it with the feedback
/// listed in draw order (synchronous rounds); the summarizer writes the final answer from the last answers. Each round
/// sends one batch per feedback giver, then one per model for the revisions. Round-1 answers are the baselines.
/// </summary>
public sealed class MultiagentFeedbackMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "text_multiagent_feedback";

    /// <summary>The request for feedback on one team member's answer (its author not named).</summary>
    public static string FeedbackPrompt(string question, string answer) =>
        TeamRounds.Framing + " Below is one assistant's answer to the question. Provide constructive feedback to help improve the answer.\n\n"
        + $"Question: {question}\n\nAssistant's Answer: {answer}\n\nPlease provide your feedback.";

    /// <summary>The revision request: the question, the model's previous answer, the feedback texts in draw order.</summary>
    public static string RevisePrompt(string question, string previous, IEnumerable<string> feedback) =>
        TeamRounds.Framing + " Below is your previous answer along with feedback from other assistants. Use the feedback to refine and improve your answer.\n\n"
        + $"Question: {question}\n\nYour Previous Answer: {previous}\n\nFeedback from other assistants:\n"
        + CandidateList.Bulleted(feedback)
        + "\nPlease provide a refined answer to the question.";

    /// <summary>The givers of each (receiver i, item j) in round <paramref name="round"/>: f distinct indices ≠ i, uniform
    /// without replacement, in draw order; drawn receiver outer, item inner from the round's seeded stream.</summary>
    public static int[][][] DrawGivers(ulong seed, int round, int models, int items, int feedbackCount)
    {
        var rng = SeededRng.For(seed, "text_multiagent_feedback", "givers", $"round {round}");
        var f = Math.Min(feedbackCount, models - 1);
        var givers = new int[models][][];
        for (var i = 0; i < models; i++)
        {
            givers[i] = new int[items][];
            for (var j = 0; j < items; j++)
            {
                var pool = CandidateList.Others(models, i).ToArray();
                for (var t = 0; t < f; t++)
                {
                    var pick = t + rng.Next(pool.Length - t);
                    (pool[t], pool[pick]) = (pool[pick], pool[t]);
                }
                givers[i][j] = pool[..f];
            }
        }
        return givers;
    }

    /// <inheritdoc/>
    public Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken) =>
        TeamRounds.RunAsync(context, (int)context.Config.Hyperparameters.Int("round"), FeedbackAndReviseAsync, cancellationToken);

    // Feedback on every answer from its drawn givers, then every model revises its answer with the feedback it got.
    private static async Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> FeedbackAndReviseAsync(MethodContext context, int round, TaskSplit test,
        IReadOnlyList<IReadOnlyList<GenerationResult>> previous, CancellationToken cancellationToken)
    {
        var n = previous.Count;
        var givers = DrawGivers(context.Seed, round, n, test.Items.Count, (int)context.Config.Hyperparameters.Int("feedback_count"));
        var feedback = await FeedbackAsync(context, test, round, previous, givers, cancellationToken).ConfigureAwait(false);
        var phase = TeamRounds.Round(round, "revise");
        return await TeamGeneration.PhaseAsync(context, phase, [.. Enumerable.Range(0, n).Select(i => (IReadOnlyList<GenerationRequest>)
            [.. test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(phase, $"model/{i}"), ChatPrompts.ItemKey(test, item), round,
                RevisePrompt(item.Prompt, previous[i][k].Texts[0], feedback[i][k])))])], cancellationToken).ConfigureAwait(false);
    }

    // Feedback texts per (receiver, item), in giver draw order: one batch per giver holding every answer it reviews.
    private static async Task<IReadOnlyList<string>[][]> FeedbackAsync(MethodContext context, TaskSplit test, int round,
        IReadOnlyList<IReadOnlyList<GenerationResult>> answers, int[][][] givers, CancellationToken cancellationToken)
    {
        var n = answers.Count;
        var phase = TeamRounds.Round(round, "feedback");
        var asks = Enumerable.Range(0, n).Select(_ => new List<(int Receiver, int Item)>()).ToList();
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < test.Items.Count; j++)
            {
                foreach (var k in givers[i][j])
                {
                    asks[k].Add((i, j));
                }
            }
        }
        var results = await TeamGeneration.PhaseAsync(context, phase, [.. asks.Select((list, k) => (IReadOnlyList<GenerationRequest>)
            [.. list.Select(a => ChatPrompts.ForPrompt(context.Site(phase, $"model/{k}/on/{a.Receiver}"), ChatPrompts.ItemKey(test, test.Items[a.Item]), round,
                FeedbackPrompt(test.Items[a.Item].Prompt, answers[a.Receiver][a.Item].Texts[0])))])], cancellationToken).ConfigureAwait(false);
        var received = new Dictionary<(int Giver, int Receiver, int Item), string>();
        for (var k = 0; k < n; k++)
        {
            for (var p = 0; p < asks[k].Count; p++)
            {
                received[(k, asks[k][p].Receiver, asks[k][p].Item)] = results[k][p].Texts[0];
            }
        }
        return [.. Enumerable.Range(0, n).Select(i => test.Items.Select((_, j) => (IReadOnlyList<string>)[.. givers[i][j].Select(k => received[(k, i, j)])]).ToArray())];
    }
}
