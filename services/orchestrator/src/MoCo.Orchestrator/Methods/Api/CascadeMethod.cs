using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Routing;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_cascade (methods-api.md §6): models in config order (weak → strong) answer the still-open test items in turn.
/// logit mode — ScoredGen (StdGen + the top-5 processed logits per token); an answer is accepted iff its confidence
/// (mean top-5 softmax maximum) reaches the level's threshold, the `percentage` quantile of the level's confidences on
/// dev. just_ask mode — the model is asked to say "unconfident" when it is; such answers defer. The last model answers
/// every item still open. Thresholds are the checkpoint of `dev · calibrate`; each level's calls are keyed per item, so
/// a resumed run replays them. The mode and thresholds are stored as the run's router, which the router service's
/// Complete serves.
/// </summary>
public sealed class CascadeMethod : ICollaborationMethod
{
    /// <summary>Phase of the threshold calibration (logit mode).</summary>
    public const string CalibratePhase = ApiCallSites.CalibratePhase;

    /// <inheritdoc/>
    public string Id => "api_cascade";

    /// <summary>The phase of cascade level <paramref name="level"/>.</summary>
    public static string LevelPhase(int level) => ApiCallSites.LevelPhase(level);

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var models = config.ModelNames;
        var logit = config.Hyperparameters.String("mode") == "logit";
        var reference = config.Compat == CompatMode.Reference;
        var thresholds = logit ? await CalibrateAsync(context, reference, cancellationToken).ConfigureAwait(false) : [];
        // The router service's Complete runs the same level loop with these thresholds.
        var router = ApiRouters.Save(context, CascadeRule.Payload(logit, thresholds, reference));

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        var outputs = new GenerationResult?[test.Items.Count];
        var levels = new int[test.Items.Count];
        var confidences = new double?[test.Items.Count];
        var open = Enumerable.Range(0, test.Items.Count).ToList();
        var reached = new List<int>();
        for (var level = 0; level < models.Count && open.Count > 0; level++)
        {
            reached.Add(open.Count);
            var final = level == models.Count - 1;
            var phase = LevelPhase(level);
            await context.Recorder.BeginPhaseAsync(phase, "calls", open.Count, cancellationToken).ConfigureAwait(false);
            var site = context.Site(phase, ApiCallSites.ModelRole(level));
            var settings = logit && !final ? new GenerationSettings(KeepThink: reference, ConfidenceTopK: CascadeRule.TopK) : null;
            var requests = open.Select(k => !logit && !final
                ? ChatPrompts.ForPrompt(site, ChatPrompts.ItemKey(test, test.Items[k]), 0, RouterPrompts.JustAsk(test.Items[k].Prompt))
                : ChatPrompts.ForItem(site, test, test.Items[k], settings)).ToList();
            var results = await context.Generation.GenerateBatchAsync(models[level], requests, cancellationToken).ConfigureAwait(false);
            var deferred = new List<int>();
            for (var n = 0; n < open.Count; n++)
            {
                var k = open[n];
                var result = results[n];
                var confidence = result.Confidences?[0] ?? 0;
                var accept = CascadeRule.Accepts(logit, level, models.Count, confidence, thresholds, result.Texts[0], reference);
                if (logit && !final)
                {
                    confidences[k] = confidence;
                }
                if (accept)
                {
                    (outputs[k], levels[k]) = (result, level);
                }
                else
                {
                    deferred.Add(k);
                }
            }
            context.Recorder.Progress(phase, open.Count, models[level]);
            await context.Recorder.EndPhaseAsync(phase, null, cancellationToken).ConfigureAwait(false);
            open = deferred;
        }

        var answers = outputs.Select(o => o!).ToList();
        var scored = await ApiAnswers.ScoreAsync(context, test, answers, _ => [], k =>
        {
            var extras = new JsonObject { ["level"] = levels[k] };
            if (confidences[k] is { } c)
            {
                extras["confidence"] = c;
            }
            return extras;
        }, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Named(config, "api_cascade");
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        var details = new JsonObject
        {
            ["thresholds"] = new JsonArray([.. thresholds.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["items_per_level"] = new JsonArray([.. reached.Select(r => (JsonNode?)JsonValue.Create(r))]),
            ["accepted_per_level"] = new JsonArray([.. Enumerable.Range(0, models.Count).Select(l => (JsonNode?)JsonValue.Create(levels.Count(x => x == l)))]),
            ["router_id"] = router.RouterId,
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    // threshold_i = the `percentage` quantile of level i's dev confidences, for every level but the last. The reference
    // generates with model_names[0] at every level (kept under compat reference; quirk).
    private static async Task<IReadOnlyList<double>> CalibrateAsync(MethodContext context, bool reference, CancellationToken cancellationToken)
    {
        var models = context.Config.ModelNames;
        var levels = models.Count - 1;
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        if (await context.Recorder.BeginPhaseAsync(CalibratePhase, "calls", dev.Items.Count * levels, cancellationToken).ConfigureAwait(false) is JsonArray stored)
        {
            return [.. stored.Select(t => (double)t!)];
        }
        var percentage = context.Config.Hyperparameters.Number("percentage");
        var settings = new GenerationSettings(KeepThink: reference, ConfidenceTopK: CascadeRule.TopK);
        var thresholds = await Task.WhenAll(Enumerable.Range(0, levels).Select(async level =>
        {
            var model = reference ? 0 : level;
            var site = context.Site(CalibratePhase, ApiCallSites.ModelRole(model));
            var results = await context.Generation.GenerateBatchAsync(models[model], [.. dev.Items.Select(item => ChatPrompts.ForItem(site, dev, item, settings))],
                cancellationToken).ConfigureAwait(false);
            if (results.Count == 0)
            {
                throw new InvalidOperationException("api_cascade's logit mode calibrates its thresholds on dev, and the dev split is empty: "
                    + "use mode \"just_ask\", or a task with dev items");
            }
            return Quantile.Linear([.. results.Select(r => r.Confidences?[0] ?? 0)], percentage);
        })).ConfigureAwait(false);
        context.Recorder.Progress(CalibratePhase, dev.Items.Count * levels);
        await context.Recorder.EndPhaseAsync(CalibratePhase, new JsonArray([.. thresholds.Select(t => (JsonNode?)JsonValue.Create(t))]), cancellationToken)
            .ConfigureAwait(false);
        return thresholds;
    }
}
