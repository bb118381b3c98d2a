using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Routing;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>Route-then-answer (methods-api.md §0.4): test items grouped by their chosen model, each group answered by
/// StdGen on its model (groups concurrently), answers restored to test order. Each answer's call key names its item
/// and model, so grouping and resuming never change a result.</summary>
public static class RouteThenAnswer
{
    /// <summary>Phase of the routed answers.</summary>
    public const string Phase = ApiCallSites.AnswerPhase;

    /// <summary>The answers of <paramref name="test"/>'s items, item k by model <paramref name="routes"/>[k].</summary>
    public static async Task<IReadOnlyList<GenerationResult>> AnswerAsync(MethodContext context, TaskSplit test, IReadOnlyList<int> routes,
        CancellationToken cancellationToken)
    {
        var models = context.Config.ModelNames;
        await context.Recorder.BeginPhaseAsync(Phase, "calls", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var groups = Enumerable.Range(0, test.Items.Count).GroupBy(k => routes[k]).ToList();
        var answered = await Task.WhenAll(groups.Select(async g =>
        {
            var site = context.Site(Phase, ApiCallSites.ModelRole(g.Key));
            var results = await context.Generation.GenerateBatchAsync(models[g.Key],
                [.. g.Select(k => ChatPrompts.ForItem(site, test, test.Items[k]))], cancellationToken).ConfigureAwait(false);
            return g.Zip(results);
        })).ConfigureAwait(false);
        var outputs = new GenerationResult[test.Items.Count];
        foreach (var (k, result) in answered.SelectMany(a => a))
        {
            outputs[k] = result;
        }
        context.Recorder.Progress(Phase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(Phase, null, cancellationToken).ConfigureAwait(false);
        return outputs;
    }

    /// <summary>How many test items each model answers, by model index (the answer calls per model).</summary>
    public static IReadOnlyList<int> Histogram(int models, IReadOnlyList<int> routes) =>
        [.. Enumerable.Range(0, models).Select(m => routes.Count(r => r == m))];
}
