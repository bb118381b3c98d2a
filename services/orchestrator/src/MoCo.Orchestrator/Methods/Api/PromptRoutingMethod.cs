using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Routing;
using MoCo.Router.Store;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_prompt_routing (methods-api.md §2): the best dev model (DevProfile, lowest index on ties) reads each test
/// question with the model descriptions and names a model; ParseChoice (1..N, fallback = the router itself) picks it;
/// route-then-answer. The fitted router (router model + descriptions) is stored for the router service.
/// </summary>
public sealed class PromptRoutingMethod : ICollaborationMethod
{
    /// <summary>Phase of the routing generations.</summary>
    public const string RoutePhase = ApiCallSites.RoutePhase;

    /// <inheritdoc/>
    public string Id => "api_prompt_routing";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var models = context.Config.ModelNames;
        var descriptions = context.Config.Hyperparameters.Strings("model_descriptions")!;
        var profile = (await DevProfiles.ProfileAsync(context, cancellationToken).ConfigureAwait(false)).Profile;
        var router = profile.Best();
        var stored = ApiRouters.Save(context, RouterPayloads.Text(models[router], "prompt_routing", descriptions, router));

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(RoutePhase, "calls", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var site = context.Site(RoutePhase, ApiCallSites.RouterRole);
        var routing = await context.Generation.GenerateBatchAsync(models[router],
            [.. test.Items.Select(item => ChatPrompts.ForPrompt(site, ChatPrompts.ItemKey(test, item), 0, RouterPrompts.PromptRouting(item.Prompt, descriptions)))],
            cancellationToken).ConfigureAwait(false);
        context.Recorder.Progress(RoutePhase, test.Items.Count, models[router]);
        await context.Recorder.EndPhaseAsync(RoutePhase, null, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<int> routes = [.. routing.Select(r => ParseChoice.Of(r.Texts[0], 1, models.Count, router + 1) - 1)];

        var outputs = await RouteThenAnswer.AnswerAsync(context, test, routes, cancellationToken).ConfigureAwait(false);
        var scored = await ApiAnswers.ScoreAsync(context, test, outputs, k => new JsonObject { ["routed_model"] = models[routes[k]] },
            k => new JsonObject { ["router_output"] = routing[k].Texts[0] }, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(context.Config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        var details = new JsonObject
        {
            ["dev_scores"] = new JsonArray([.. Enumerable.Range(0, models.Count).Select(m => (JsonNode?)JsonValue.Create(profile.Mean(m)))]),
            ["router_model"] = router,
            ["router_id"] = stored.RouterId,
            ["routing_histogram"] = new JsonArray([.. RouteThenAnswer.Histogram(models.Count, routes).Select(c => (JsonNode?)JsonValue.Create(c))]),
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }
}
