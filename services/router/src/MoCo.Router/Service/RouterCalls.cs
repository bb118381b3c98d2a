using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Store;

namespace MoCo.Router.Service;

/// <summary>
/// What every stored router does with its models: generate and embed (each call counted and timed in
/// <paramref name="metrics"/> when given), and route-then-answer (methods-api.md §0.11): each input answered by its
/// routed model with StdGen, sampling with the seed the run gave the item's answer (<see cref="ServedSeeds"/>), so an
/// answer does not depend on batching or order and equals the run's.
/// </summary>
public sealed class RouterCalls(IRouterModels models, RouterMetrics? metrics = null)
{
    /// <summary>StdGen of <paramref name="model"/> for <paramref name="method"/>, counted under <paramref name="purpose"/>.</summary>
    public async Task<RouterGeneration> GenerateAsync(string method, string model, string purpose, string prompt, SamplingSettings settings, ulong seed,
        string callKey, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var generated = await models.GenerateAsync(model, prompt, settings, seed, callKey, cancellationToken).ConfigureAwait(false);
        metrics?.ModelCall(method, model, purpose, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return generated;
    }

    /// <summary>Counts a routing decision for <paramref name="model"/>.</summary>
    public void Decision(string method, string model) => metrics?.Decision(method, model);

    /// <summary>Embeddings of <paramref name="texts"/> with <paramref name="model"/>, counted as one "embed" call.</summary>
    public async Task<IReadOnlyList<double[]>> EmbedAsync(string method, string model, IReadOnlyList<string> texts, string callKey,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var vectors = await models.EmbedAsync(model, texts, callKey, cancellationToken).ConfigureAwait(false);
        metrics?.ModelCall(method, model, "embed", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return vectors;
    }

    /// <summary>Answers each input with the model its decision chose, items as they finish; <paramref name="extras"/> says
    /// what each item reports of its decision.</summary>
    public IAsyncEnumerable<CompletedItem> AnswerAsync(RouterContext context, StoredRouter router, IReadOnlyList<RouteInput> inputs,
        IReadOnlyList<(RouteDecision Decision, Usage Usage)> decisions, Func<RouteDecision, Struct> extras, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(extras);
        var settings = RouterSettings.Sampling(context);
        var seeds = new ServedSeeds(models, context);
        return CompletedItems.AsFinished(decisions.Select(async (d, k) =>
        {
            var m = d.Decision.ModelIndex;
            var item = RouterItems.Key(inputs[k]);
            var seed = await seeds.OfAsync(ApiCallSites.AnswerPhase, ApiCallSites.ModelRole(m), router.ModelNames[m], item, 0, cancellationToken).ConfigureAwait(false);
            var answer = await GenerateAsync(router.Method, router.ModelNames[m], "answer", inputs[k].Prompt, settings, seed, $"{context.RunId}/answer/{item}",
                cancellationToken).ConfigureAwait(false);
            var completed = new CompletedItem
            {
                Index = inputs[k].Index,
                Output = answer.Text,
                Extras = extras(d.Decision),
                Usage = Sum(d.Usage, answer.Usage),
            };
            completed.ModelsUsed.Add(m);
            return completed;
        }));
    }

    internal static Usage Sum(Usage a, Usage b) => new()
    {
        PromptTokens = a.PromptTokens + b.PromptTokens,
        CompletionTokens = a.CompletionTokens + b.CompletionTokens,
        CachedPromptTokens = a.CachedPromptTokens + b.CachedPromptTokens,
        Latency = Duration.FromTimeSpan((a.Latency?.ToTimeSpan() ?? TimeSpan.Zero) + (b.Latency?.ToTimeSpan() ?? TimeSpan.Zero)),
    };
}
