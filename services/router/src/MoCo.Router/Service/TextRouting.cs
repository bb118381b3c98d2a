using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Store;

namespace MoCo.Router.Service;

/// <summary>
/// Route and Complete for a stored text router (api_prompt_routing, api_trained_router; methods-api.md §0.4): the
/// router model reads its routing prompt, ParseChoice (1..N) picks the model, falling back to the stored model
/// index or, where it is −1, to a counter-based uniform draw keyed on the item as a run keys it (§0.7, <see cref="RouterItems"/>); Complete answers with the
/// chosen model. Every call samples with the seed the run gave it (<see cref="ServedSeeds"/>) and every draw is keyed on
/// (seed, purpose, item), so results do not depend on batching or order and equal the run's. Each model call and
/// decision is counted in <paramref name="metrics"/> when given.
/// </summary>
public sealed class TextRouting(IRouterModels models, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);
    private readonly IRouterModels _models = models;

    /// <summary>One decision per input, in input order, with the router calls' usage.</summary>
    public async Task<IReadOnlyList<(RouteDecision Decision, Usage Usage)>> RouteAsync(RouterContext context, StoredRouter router,
        IReadOnlyList<RouteInput> inputs, CancellationToken cancellationToken)
    {
        var payload = router.Payload;
        var routerModel = (string)payload["router_model"]!;
        var descriptions = payload["descriptions"]?.AsArray().Select(d => (string)d!).ToList();
        var fallback = (int)payload["fallback"]!;
        var n = router.ModelNames.Count;
        var settings = RouterSettings.Sampling(context);
        var seeds = new ServedSeeds(_models, context);
        return await Task.WhenAll(inputs.Select(async input =>
        {
            var prompt = (string)payload["prompt"]! == "prompt_routing"
                ? RouterPrompts.PromptRouting(input.Prompt, descriptions!)
                : RouterPrompts.TrainedRouter(input.Prompt, n, descriptions);
            var item = RouterItems.Key(input);
            var seed = await seeds.OfAsync(ApiCallSites.RoutePhase, ApiCallSites.RouterRole, routerModel, item, 0, cancellationToken).ConfigureAwait(false);
            var generated = await _calls.GenerateAsync(router.Method, routerModel, "route", prompt, settings, seed, $"{context.RunId}/route/{item}", cancellationToken)
                .ConfigureAwait(false);
            var text = generated.Text.Trim();
            var chosen = fallback >= 0
                ? ParseChoice.Of(text, 1, n, fallback + 1) - 1
                : ParseChoice.OrDraw(text, 1, n, context.Seed, ParseChoice.RouteFallback, item, 0) - 1;
            _calls.Decision(router.Method, router.ModelNames[chosen]);
            var decision = new RouteDecision { Index = input.Index, ModelIndex = chosen, Reason = generated.Text };
            decision.Scores.AddRange(Enumerable.Range(0, n).Select(m => m == chosen ? 1.0 : 0.0));
            return (decision, generated.Usage);
        })).ConfigureAwait(false);
    }

    /// <summary>Route then answer: each input answered by its routed model, items as they finish.</summary>
    public async IAsyncEnumerable<CompletedItem> CompleteAsync(RouterContext context, StoredRouter router, IReadOnlyList<RouteInput> inputs,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var decisions = await RouteAsync(context, router, inputs, cancellationToken).ConfigureAwait(false);
        var key = router.Method == "api_prompt_routing" ? "routed_model" : "selected_model";
        await foreach (var item in _calls.AnswerAsync(context, router, inputs, decisions, d => new Struct
        {
            Fields =
            {
                [key] = Value.ForString(router.ModelNames[d.ModelIndex]),
                ["router_output"] = Value.ForString(d.Reason),
            },
        }, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }
}
