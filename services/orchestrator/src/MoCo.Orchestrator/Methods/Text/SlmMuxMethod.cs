using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_slm_mux (methods-text.md §10): each model samples k answers per test item (one request with n = k, distinct
/// per-sample seeds); per model the most common parsed answer and its agreement (confidence) are taken
/// (<see cref="SlmMux"/>); the most confident model's parsed answer is the output, scored with the score of its first
/// sample that gave it. Ties on confidence go to dev accuracy (`dev-based`, one dev pass), model order, or a draw. Every
/// random choice comes from the `seed` hyperparameter's stream per item, as the reference seeds its RNG with it.
/// </summary>
public sealed class SlmMuxMethod : ICollaborationMethod
{
    private const string GeneratePhase = "test · generate";
    private const string ScorePhase = "test · score";
    private const string SelectPhase = "test · select";
    private static readonly HashSet<string> Documented = ["multiple_choice", "exact_match", "f1_match"];

    /// <inheritdoc/>
    public string Id => "text_slm_mux";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var models = config.ModelNames;
        var k = (int)config.Hyperparameters.Int("samples_per_model");
        var tie = config.Hyperparameters.String("tie")!;
        var seed = unchecked((ulong)config.Hyperparameters.Int("seed"));
        if (!Documented.Contains(config.TaskType))
        {
            context.Recorder.Warn($"text_slm_mux is meant for multiple_choice, exact_match and f1_match: on {config.TaskType} the parsed answer is the raw "
                + "text, samples rarely agree and the tie rule decides");
        }

        IReadOnlyList<double> devAccuracy = tie == "dev-based"
            ? [.. (await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false)).Scores.OrderBy(p => p.Key).Select(p => p.Value)]
            : [.. models.Select(_ => 0.0)];
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(GeneratePhase, "calls", test.Items.Count * models.Count, cancellationToken).ConfigureAwait(false);
        var outputs = await Task.WhenAll(models.Select((model, i) => context.Generation.GenerateBatchAsync(model,
            [.. test.Items.Select(item => ChatPrompts.ForItem(context.Site(GeneratePhase, $"model/{i}"), test, item) with { Samples = k })],
            cancellationToken))).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(GeneratePhase, null, cancellationToken).ConfigureAwait(false);

        // sampleScores[i][s]: model i's s-th samples of every item, scored (and parsed) as one split.
        await context.Recorder.BeginPhaseAsync(ScorePhase, "sample sets", models.Count * k, cancellationToken).ConfigureAwait(false);
        var scored = 0;
        var sampleScores = await Task.WhenAll(models.Select((_, i) => Task.WhenAll(Enumerable.Range(0, k).Select(async s =>
        {
            var score = await context.Evaluation.ScoreAsync(test, [.. outputs[i].Select(o => o.Texts[s])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            context.Recorder.Progress(ScorePhase, Interlocked.Increment(ref scored));
            return score;
        })))).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(SelectPhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        var total = 0.0;
        for (var j = 0; j < test.Items.Count; j++)
        {
            var item = test.Items[j];
            // One stream per item: answer ties model by model, then the winner tie (§10 step 5).
            var rng = SeededRng.For(seed, Id, "select", ChatPrompts.ItemKey(test, item));
            var perModel = models.Select((_, i) => SlmMux.Of([.. sampleScores[i].Select(s => s.Items[j].Parsed)],
                config.Compat == CompatMode.Reference, rng)).ToList();
            var (winner, tied) = SlmMux.Winner([.. perModel.Select(c => c.Confidence)], tie, devAccuracy, rng);
            var chosen = perModel[winner];
            var score = sampleScores[winner][chosen.Sample].Items[j].Score;
            total += score ?? 0.0;
            var entry = new JsonObject
            {
                ["input"] = item.Prompt,
                ["output"] = chosen.Selected,
                ["score"] = score is { } v ? ReferenceSummary.Score(v) : null,
                ["selected_model"] = models[winner],
                ["selected_answer"] = chosen.Selected,
                ["confidence"] = chosen.Confidence,
                ["per_model_confidence"] = ByModel(models, perModel, c => JsonValue.Create(c.Confidence)),
                ["per_model_selected"] = ByModel(models, perModel, c => JsonValue.Create(c.Selected)),
                ["per_model_vote_counts"] = ByModel(models, perModel,
                    c => new JsonObject([.. c.Counts.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))])),
                ["tied"] = tied,
            };
            var extras = new JsonObject([.. entry.Where(p => p.Key is not ("input" or "output" or "score")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]);
            await context.Recorder.ItemFinishedAsync(new FinishedItem("test", test.Name, item.Index, item.Id, item.Prompt, chosen.Selected, chosen.Selected, score,
                extras, models[winner]), cancellationToken).ConfigureAwait(false);
            logs.Add(entry);
            context.Recorder.Progress(SelectPhase, j + 1);
        }
        await context.Recorder.EndPhaseAsync(SelectPhase, null, cancellationToken).ConfigureAwait(false);

        // Each model's first samples, drawn with the general keys, are its single-model baseline (config-and-cli.md §4.3).
        var baselines = new List<ModelBaseline>();
        for (var i = 0; i < models.Count; i++)
        {
            var first = outputs[i].Select(o => o with { Texts = [o.Texts[0]], FinishReasons = [o.FinishReasons[0]] }).ToList();
            await SoloAnswers.RecordAsync(context.Recorder, SoloAnswers.BaselinePhase(models[i]), models[i], test, first, sampleScores[i][0], cancellationToken)
                .ConfigureAwait(false);
            baselines.Add(new ModelBaseline(models[i], sampleScores[i][0].Mean));
        }

        var mean = test.Items.Count == 0 ? 0.0 : total / test.Items.Count;
        var summary = ReferenceSummary.Named(config, Id);
        summary["model_accuracies"] = tie == "dev-based"
            ? new JsonObject([.. models.Select((m, i) => KeyValuePair.Create(m, (JsonNode?)JsonValue.Create(devAccuracy[i])))])
            : new JsonObject();
        summary["avg_test_score"] = ReferenceSummary.Score(mean);
        summary["logs"] = logs;
        var details = new JsonObject { ["tied_items"] = logs.Count(e => (bool)e!["tied"]!) };
        return new MethodOutcome(summary, mean, test.Items.Count, details) { Baselines = baselines };
    }

    private static JsonObject ByModel(IReadOnlyList<string> models, IReadOnlyList<SlmMux.Consistency> perModel, Func<SlmMux.Consistency, JsonNode> value) =>
        new([.. models.Select((m, i) => KeyValuePair.Create(m, (JsonNode?)value(perModel[i])))]);
}
