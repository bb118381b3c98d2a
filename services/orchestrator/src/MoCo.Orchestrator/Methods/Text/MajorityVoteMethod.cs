using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_majority_vote (methods-text.md §1): every model answers every test item once; the extracted answers (the
/// evaluator's extraction) are voted per <see cref="MajorityVote"/>; ties go to a seeded draw per item (`random`) or to
/// the tied voter with the best dev score (`dev-based`, dev scored once for every model in any tie); the voted answers
/// are scored with input_kind EXTRACTED. Each model's raw outputs are also scored as its baseline.
/// </summary>
public sealed class MajorityVoteMethod : ICollaborationMethod
{
    private const string GeneratePhase = "test · generate";
    private const string ExtractPhase = "test · extract";
    private const string ScorePhase = "test · score";

    /// <inheritdoc/>
    public string Id => "text_majority_vote";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var models = config.ModelNames;
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        var outputs = await SoloAnswers.EveryModelAsync(context, GeneratePhase, test, null, cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(ExtractPhase, "models", models.Count, cancellationToken).ConfigureAwait(false);
        var answers = new List<IReadOnlyList<string?>>();
        for (var i = 0; i < models.Count; i++)
        {
            answers.Add(await context.Evaluation.ParseAsync(test, TeamGeneration.Texts(outputs[i]), cancellationToken).ConfigureAwait(false));
            context.Recorder.Progress(ExtractPhase, i + 1);
        }
        // The models' own outputs with the general keys are their baselines (config-and-cli.md §4.3), at no extra generation.
        var solo = await SoloAnswers.BaselinesAsync(context, test, outputs, cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(ExtractPhase, null, cancellationToken).ConfigureAwait(false);

        var normalise = config.TaskType != "multiple_choice";
        var leaders = test.Items.Select((_, k) => MajorityVote.Leaders([.. answers.Select(a => a[k])], normalise)).ToList();
        // dev-based: every voter in any tie answers the dev split once, in one batch (BOD's dev means).
        var dev = config.Hyperparameters.String("tie") == "dev-based"
            ? await BestOnDev.ScoreAsync(context, [.. leaders.Where(l => l.Count > 1).SelectMany(l => l.SelectMany(g => g.Voters)).Distinct().Order()],
                cancellationToken).ConfigureAwait(false)
            : null;
        var devScores = dev?.Scores;
        var voted = leaders.Select((groups, k) => Choose(context, test, k, groups, devScores)).ToList();

        await context.Recorder.BeginPhaseAsync(ScorePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var scores = await context.Evaluation.ScoreAsync(test, voted, OutputKind.Extracted, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var k = 0; k < test.Items.Count; k++)
        {
            var item = test.Items[k];
            var raw = new JsonArray([.. answers.Select(a => (JsonNode?)(a[k] is { } s ? JsonValue.Create(s) : null))]);
            var score = scores.Items[k].Score;
            await context.Recorder.ItemFinishedAsync(new FinishedItem("test", test.Name, item.Index, item.Id, item.Prompt, voted[k] ?? "", scores.Items[k].Parsed,
                score, new JsonObject { ["raw_output"] = raw.DeepClone(), ["tied"] = leaders[k].Count > 1 }), cancellationToken).ConfigureAwait(false);
            logs.Add(new JsonObject
            {
                ["input"] = item.Prompt,
                ["raw_output"] = raw,
                ["output"] = voted[k],
                ["score"] = score is { } s ? ReferenceSummary.Score(s) : null,
            });
        }
        context.Recorder.Progress(ScorePhase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);

        var summary = ReferenceSummary.Named(config, Id);
        summary["avg_test_score"] = ReferenceSummary.Score(scores.Mean);
        summary["logs"] = logs;
        var details = new JsonObject { ["tied_items"] = leaders.Count(l => l.Count > 1) };
        if (dev is not null)
        {
            details["dev_scores"] = dev.Details()["dev_scores"]!.DeepClone();
        }
        return new MethodOutcome(summary, scores.Mean, test.Items.Count, details) { Baselines = SoloAnswers.Baselines(context, solo) };
    }

    // The voted answer of item k: the single leader, a seeded draw among tied leaders, or the dev-best tied voter's answer.
    private string? Choose(MethodContext context, TaskSplit test, int k, IReadOnlyList<MajorityVote.Group> groups, IReadOnlyDictionary<int, double>? devScores)
    {
        if (groups.Count == 0)
        {
            return null;
        }
        if (groups.Count == 1)
        {
            return groups[0].Answer;
        }
        if (devScores is null)
        {
            var rng = SeededRng.For(context.Seed, Id, "tie", ChatPrompts.ItemKey(test, test.Items[k]));
            return groups[rng.Next(groups.Count)].Answer;
        }
        // Voters by tied answer, then model index; the first with the highest dev mean wins.
        var best = groups.SelectMany(g => g.Voters.Select(v => (g.Answer, Voter: v))).Aggregate((a, b) => devScores[b.Voter] > devScores[a.Voter] ? b : a);
        return best.Answer;
    }
}
