using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Graph;
using MoCo.Router.Routing;

namespace MoCo.Router.Service;

/// <summary>
/// TrainRouter's fits from an inline dev set (methods-api.md §0.11 "TrainRouter fits (dev)"), each giving the payload
/// the method's Route or Complete serves — the same payload `moco run` stores, so a router fitted here and one fitted
/// in a run are served alike: api_prompt_routing (the best dev model routes), api_graph_routing (the GraphRouter
/// network on the dev profile, with the inputs, descriptions and task description embedded) and api_cascade (each
/// level's threshold, the `percentage` quantile of its ScoredGen confidences on the dev prompts; just_ask fits
/// nothing).
/// </summary>
public sealed class RouterTraining(IRouterModels models, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);
    private readonly IRouterModels _models = models;

    /// <summary>api_prompt_routing: the model best on dev routes with the descriptions and falls back to itself.</summary>
    public static JsonObject PromptRouting(RouterContext context, DevProfile profile)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(profile);
        var descriptions = Descriptions(context, "api_prompt_routing");
        var best = profile.Best();
        return new JsonObject
        {
            ["kind"] = "text",
            ["router_model"] = context.ModelNames[best],
            ["prompt"] = "prompt_routing",
            ["descriptions"] = new JsonArray([.. descriptions.Select(d => (JsonNode?)JsonValue.Create(d))]),
            ["fallback"] = best,
        };
    }

    /// <summary>api_graph_routing: embeds the descriptions, dev prompts and task description (one Embed call each), fits
    /// the network on <paramref name="profile"/> with the run seed, and returns the servable router.</summary>
    public async Task<JsonObject> GraphRoutingAsync(RouterContext context, IReadOnlyList<DevInput> inputs, DevProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        var descriptions = Descriptions(context, "api_graph_routing");
        var (embedder, task, options) = RouterSettings.GraphTraining(context);
        var method = context.Method;
        var parts = await Task.WhenAll(
            _calls.EmbedAsync(method, embedder, descriptions, $"{context.RunId}/fit/descriptions", cancellationToken),
            _calls.EmbedAsync(method, embedder, [.. inputs.Select(i => i.Prompt)], $"{context.RunId}/fit/dev", cancellationToken),
            _calls.EmbedAsync(method, embedder, [task], $"{context.RunId}/fit/task", cancellationToken)).ConfigureAwait(false);
        GraphRouterFit fit;
        try
        {
            fit = GraphRouterTraining.Fit(new GraphEmbeddings(parts[2][0], parts[1], parts[0]), profile, options, context.Seed);
        }
        catch (ArgumentException e)
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs", "INVALID_VALUE", e.Message,
                new Dictionary<string, string> { ["fix"] = "send dev inputs with their prompts and per-model scores" }));
        }
        return new GraphRouterModel(fit.Weights, fit.Graph, fit.KnownEdges).ToPayload(embedder);
    }

    /// <summary>api_cascade: per level below the last, ScoredGen of every dev prompt with that level's model (compat
    /// reference: model_names[0], the reference's quirk), each seeded as a run seeds its dev item's call, and the
    /// `percentage` quantile of the confidences.</summary>
    public async Task<JsonObject> CascadeAsync(RouterContext context, IReadOnlyList<DevInput> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        var (logit, percentage) = RouterSettings.Cascade(context);
        var reference = context.Compat == Compat.Reference;
        double[] thresholds = [];
        if (logit)
        {
            if (inputs.Count == 0)
            {
                throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs", "REQUIRED", "logit mode calibrates each level's threshold on dev prompts, and none was sent",
                    new Dictionary<string, string> { ["fix"] = "send the dev prompts, or use mode \"just_ask\"" }));
            }
            var settings = RouterSettings.Sampling(context) with { ConfidenceTopK = CascadeRule.TopK };
            var seeds = new ServedSeeds(_models, context);
            thresholds = await Task.WhenAll(Enumerable.Range(0, context.ModelNames.Count - 1).Select(async level =>
            {
                var index = reference ? 0 : level;
                var model = context.ModelNames[index];
                var results = await Task.WhenAll(inputs.Select(async input =>
                {
                    var item = RouterItems.Of(RouterItems.DevSplit, input.Index);
                    var seed = await seeds.OfAsync(ApiCallSites.CalibratePhase, ApiCallSites.ModelRole(index), model, item, 0, cancellationToken).ConfigureAwait(false);
                    return await _calls.GenerateAsync(context.Method, model, "calibrate", input.Prompt, settings, seed, $"{context.RunId}/calibrate/{level}/{item}",
                        cancellationToken).ConfigureAwait(false);
                })).ConfigureAwait(false);
                return Quantile.Linear([.. results.Select(r => r.Confidence ?? 0)], percentage);
            })).ConfigureAwait(false);
        }
        return CascadeRule.Payload(logit, thresholds, reference);
    }

    private static List<string> Descriptions(RouterContext context, string method) => RouterSettings.Descriptions(context)
        ?? throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.model_descriptions", "REQUIRED",
            $"{method} needs one description per model ({context.ModelNames.Count})",
            new Dictionary<string, string> { ["fix"] = "add model_descriptions, a list of strings in model_names order" }));
}
