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
    private const string DevGeneratePhase = "dev · generate";
    private const string DevScorePhase = "dev · score";
    private const string ScorePhase = "test · score";

    /// <inheritdoc/>
    public string Id => "text_majority_vote";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var models = config.ModelNames;
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(GeneratePhase, "calls", test.Items.Count * models.Count, cancellationToken).ConfigureAwait(false);
        var outputs = await Task.WhenAll(models.Select((model, i) =>
            SoloAnswers.GenerateAsync(context.Generation, model, context.Site(GeneratePhase, $"model/{i}"), test, null, cancellationToken))).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(GeneratePhase, null, cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(ExtractPhase, "models", models.Count, cancellationToken).ConfigureAwait(false);
        var answers = new List<IReadOnlyList<string?>>();
        var baselines = new List<ModelBaseline>();
        for (var i = 0; i < models.Count; i++)
        {
            var texts = outputs[i].Select(o => o.Texts[0]).ToList();
            answers.Add(await context.Evaluation.ParseAsync(test, texts, cancellationToken).ConfigureAwait(false));
            if (models.ToList().IndexOf(models[i]) == i)
            {
                // The model's own outputs with the general keys are its baseline (config-and-cli.md §4.3), at no extra generation.
                var solo = await context.Evaluation.ScoreAsync(test, texts, OutputKind.Raw, cancellationToken).ConfigureAwait(false);
                await SoloAnswers.RecordAsync(context.Recorder, SoloAnswers.BaselinePhase(models[i]), models[i], test, outputs[i], solo, cancellationToken).ConfigureAwait(false);
                baselines.Add(new ModelBaseline(models[i], solo.Mean));
            }
            context.Recorder.Progress(ExtractPhase, i + 1);
        }
        await context.Recorder.EndPhaseAsync(ExtractPhase, null, cancellationToken).ConfigureAwait(false);

        var normalise = config.TaskType != "multiple_choice";
        var leaders = test.Items.Select((_, k) => MajorityVote.Leaders([.. answers.Select(a => a[k])], normalise)).ToList();
        var devScores = config.Hyperparameters.String("tie") == "dev-based"
            ? await DevScoresAsync(context, [.. leaders.Where(l => l.Count > 1).SelectMany(l => l.SelectMany(g => g.Voters)).Distinct().Order()],
                cancellationToken).ConfigureAwait(false)
            : null;
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

        var summary = ReferenceSummary.Head(config);
        summary["method"] = Id;
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = ReferenceSummary.Score(scores.Mean);
        summary["logs"] = logs;
        var details = new JsonObject { ["tied_items"] = leaders.Count(l => l.Count > 1) };
        if (devScores is not null)
        {
            details["dev_scores"] = new JsonObject([.. devScores.Select(p => KeyValuePair.Create($"{p.Key}", (JsonNode?)JsonValue.Create(p.Value)))]);
        }
        return new MethodOutcome(summary, scores.Mean, test.Items.Count, details) { Baselines = baselines };
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

    // Best-on-dev data for the voters in ties: each answers the full dev split once, scored raw.
    private static async Task<IReadOnlyDictionary<int, double>> DevScoresAsync(MethodContext context, IReadOnlyList<int> voters, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<int, double>();
        if (voters.Count == 0)
        {
            return scores;
        }
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(DevGeneratePhase, "calls", dev.Items.Count * voters.Count, cancellationToken).ConfigureAwait(false);
        var outputs = await Task.WhenAll(voters.Select(i => SoloAnswers.GenerateAsync(context.Generation, context.Config.ModelNames[i],
            context.Site(DevGeneratePhase, $"model/{i}"), dev, null, cancellationToken))).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(DevGeneratePhase, null, cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(DevScorePhase, "models", voters.Count, cancellationToken).ConfigureAwait(false);
        for (var v = 0; v < voters.Count; v++)
        {
            var split = await context.Evaluation.ScoreAsync(dev, [.. outputs[v].Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            scores[voters[v]] = split.Mean;
            context.Recorder.Progress(DevScorePhase, v + 1);
        }
        await context.Recorder.EndPhaseAsync(DevScorePhase, null, cancellationToken).ConfigureAwait(false);
        return scores;
    }
}
