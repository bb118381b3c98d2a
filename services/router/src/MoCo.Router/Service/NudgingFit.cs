using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting.Concurrency;
using MoCo.Hosting.Errors;
using MoCo.Router.Decoding;

namespace MoCo.Router.Service;

/// <summary>
/// TrainRouter for api_nudging (methods-api.md §0.11 "(gamma, nudger) if search asked", §1 search): with search_gamma or
/// search_nudging every (gamma, nudger) pair decodes every prompt of the dev view as a run decodes its dev items (same
/// seed and item keys), each pair's outputs scored on the view, and the best pair, earliest on ties, is stored; without a
/// search the configured pair is stored as it is. Complete with the router's id then nudges with the stored pair.
/// </summary>
public sealed class NudgingFit(IDecodeBackend decoding, DevPass devPass)
{
    /// <summary>The phase of the search's progress.</summary>
    public const string SearchPhase = "dev · search";

    // Dev items decoded at once: each is one lock-step Decode stream whose steps the inference service batches.
    private const int Concurrency = 16;

    /// <summary>The stored router's payload: the chosen gamma, nudger index and every pair's mean dev score (empty without
    /// a search); <paramref name="progress"/> hears each pair scored.</summary>
    public async Task<JsonObject> FitAsync(RouterContext context, EvaluateHeader? devView, Func<Progress, Task> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(progress);
        var (pairs, baseIndex, _, _) = RouterSettings.NudgingSearch(context);
        if (pairs.Count == 1)
        {
            return Payload(pairs[0], []);
        }
        if (devView is null)
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_view", "REQUIRED",
                $"the search scores {pairs.Count} (gamma, nudger) pairs on dev outputs the router decodes, which the evaluator scores",
                new Dictionary<string, string> { ["fix"] = "send dev_view (a dev view's id or LoadDataset fields), or unset search_gamma and search_nudging" }));
        }
        var view = await devPass.ViewAsync(context, devView, cancellationToken).ConfigureAwait(false);
        var means = new List<double>();
        for (var i = 0; i < pairs.Count; i++)
        {
            var settings = RouterSettings.NudgingPair(context, baseIndex, pairs[i]);
            var outputs = await Bounded.SelectAsync(view.Items, Concurrency, async (item, _) => (await Nudging.RunAsync(decoding, settings, item.Prompt,
                context.Seed, RouterItems.Of(RouterItems.DevSplit, item.Index), cancellationToken).ConfigureAwait(false)).Text, cancellationToken).ConfigureAwait(false);
            means.Add((await devPass.ScoreAsync(view, outputs, cancellationToken).ConfigureAwait(false)).Mean);
            await progress(new Progress { Phase = SearchPhase, Done = i + 1, Total = pairs.Count }).ConfigureAwait(false);
        }
        return Payload(pairs[Nudging.Best(means)], means);
    }

    /// <summary>A nudging router's payload, as runs and TrainRouter store a search's result: the chosen pair and every
    /// pair's mean dev score (empty without a search).</summary>
    public static JsonObject Payload((double Gamma, int Nudger) pair, IReadOnlyList<double> means) => new()
    {
        ["kind"] = "nudging",
        ["gamma"] = pair.Gamma,
        ["nudging_model_id"] = pair.Nudger,
        ["search_dev_scores"] = new JsonArray([.. means.Select(m => (JsonNode?)JsonValue.Create(m))]),
    };
}
