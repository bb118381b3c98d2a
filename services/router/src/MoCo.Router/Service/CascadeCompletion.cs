using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Store;

namespace MoCo.Router.Service;

/// <summary>
/// Complete for a stored api_cascade router (methods-api.md §6, §0.11 "level loop"): the models in order (weak →
/// strong) answer the still-open inputs in turn, each level's answers kept by <see cref="CascadeRule"/> with the
/// router's mode and thresholds (logit mode: ScoredGen confidence against the level's threshold; just_ask: the model
/// is asked to say it is unconfident), the last model answering whatever is left. Items stream as their level keeps
/// them, with the level, the last confidence measured (logit mode: that of the last level below the final one the input
/// reached) and every level's usage.
/// </summary>
public sealed class CascadeCompletion(IRouterModels models, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);
    private readonly IRouterModels _models = models;

    /// <summary>The level loop over <paramref name="inputs"/>.</summary>
    public async IAsyncEnumerable<CompletedItem> CompleteAsync(RouterContext context, StoredRouter router, IReadOnlyList<RouteInput> inputs,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(inputs);
        var payload = router.Payload;
        var logit = (string?)payload["mode"] == "logit";
        IReadOnlyList<double> thresholds = [.. payload["thresholds"]!.AsArray().Select(t => (double)t!)];
        var reference = (bool?)payload["reference"] ?? false;
        var levels = router.ModelNames.Count;
        var settings = RouterSettings.Sampling(context);
        var seeds = new ServedSeeds(_models, context);
        var usage = inputs.Select(_ => new Usage()).ToArray();
        // The last confidence measured for each input (the run's extras report it even when a later level kept the answer).
        var confidences = new double?[inputs.Count];
        var open = Enumerable.Range(0, inputs.Count).ToList();
        for (var level = 0; level < levels && open.Count > 0; level++)
        {
            var final = level == levels - 1;
            var model = router.ModelNames[level];
            var scored = logit && !final;
            var phase = ApiCallSites.LevelPhase(level);
            var role = ApiCallSites.ModelRole(level);
            var results = await Task.WhenAll(open.Select(async k =>
            {
                var item = RouterItems.Key(inputs[k]);
                var prompt = !logit && !final ? RouterPrompts.JustAsk(inputs[k].Prompt) : inputs[k].Prompt;
                var seed = await seeds.OfAsync(phase, role, model, item, 0, cancellationToken).ConfigureAwait(false);
                return await _calls.GenerateAsync(router.Method, model, $"level {level}", prompt, settings with { ConfidenceTopK = scored ? CascadeRule.TopK : 0 },
                    seed, $"{context.RunId}/level/{level}/{item}", cancellationToken).ConfigureAwait(false);
            })).ConfigureAwait(false);
            var deferred = new List<int>();
            foreach (var (k, result) in open.Zip(results))
            {
                usage[k] = RouterCalls.Sum(usage[k], result.Usage);
                if (scored)
                {
                    confidences[k] = result.Confidence ?? 0;
                }
                if (!CascadeRule.Accepts(logit, level, levels, result.Confidence ?? 0, thresholds, result.Text, reference))
                {
                    deferred.Add(k);
                    continue;
                }
                _calls.Decision(router.Method, model);
                var completed = new CompletedItem
                {
                    Index = inputs[k].Index,
                    Output = result.Text,
                    Extras = new Struct { Fields = { ["level"] = Value.ForNumber(level) } },
                    Usage = usage[k],
                };
                if (confidences[k] is { } confidence)
                {
                    completed.Extras.Fields["confidence"] = Value.ForNumber(confidence);
                }
                completed.ModelsUsed.AddRange(Enumerable.Range(0, level + 1));
                yield return completed;
            }
            open = deferred;
        }
    }
}
