using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Routing;

namespace MoCo.Router.Service;

/// <summary>A loaded dev view: the header that scores outputs on it (its view id set) and its items (index, prompt).</summary>
public sealed record DevView(EvaluateHeader Scoring, IReadOnlyList<(int Index, string Prompt)> Items);

/// <summary>
/// TrainRouter's dev pass for a `dev_view` (router.proto TrainRouterRequest.dev_view): the router loads the view's
/// prompts from the evaluator and, for the methods that learn from dev outcomes, runs DevProfile (methods-api.md §0.3)
/// itself — StdGen of every model on every dev prompt, sampled with the seed a run gives the same call (phase
/// `dev · generate`, role `model/{m}`, item `dev/{index}`), each model's outputs scored on the view — giving the same
/// dev inputs a caller would send as a dev_set.
/// </summary>
public sealed class DevPass(IRouterModels models, IRouterDevData? data = null, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);

    /// <summary>The dev view <paramref name="header"/> names (by its LoadDataset fields or its id), loaded without gold:
    /// its items and the header that scores outputs on it.</summary>
    public async Task<DevView> ViewAsync(RouterContext context, EvaluateHeader header, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(header);
        Check(context, header);
        // An id loads as itself: the evaluator reads the view's fields out of it.
        var dataset = header.ViewCase == EvaluateHeader.ViewOneofCase.ViewId ? new LoadDatasetRequest { ViewId = header.ViewId } : header.Dataset.Clone();
        dataset.IncludeGold = false;
        var (info, items) = await Data.LoadAsync(dataset, cancellationToken).ConfigureAwait(false);
        if (header.ViewCase == EvaluateHeader.ViewOneofCase.ViewId && info.Split != Split.Dev)
        {
            throw NotDev("dev_view.view_id", info.Split, "send the view id of a SPLIT_DEV LoadDataset");
        }
        var scoring = header.Clone();
        scoring.ViewId = info.ViewId;
        return new DevView(scoring, [.. items.Select(i => (i.Index, i.Prompt))]);
    }

    /// <summary>The scores of <paramref name="outputs"/> (one per item of <paramref name="view"/>, in order) and their mean.</summary>
    public Task<(IReadOnlyList<double> Scores, double Mean)> ScoreAsync(DevView view, IReadOnlyList<string> outputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(outputs);
        return Data.ScoreAsync(view.Scoring, [.. view.Items.Select((item, k) => (item.Index, outputs[k]))], cancellationToken);
    }

    /// <summary>The dev inputs of <paramref name="header"/>'s view: prompts only, or with every model's output and score
    /// when <paramref name="profile"/>; <paramref name="progress"/> hears each model whose outputs are scored.</summary>
    public async Task<IReadOnlyList<DevInput>> InputsAsync(RouterContext context, EvaluateHeader header, bool profile, Func<Progress, Task> progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var view = await ViewAsync(context, header, cancellationToken).ConfigureAwait(false);
        var items = view.Items;
        var inputs = items.Select(i => new DevInput { Index = i.Index, Prompt = i.Prompt }).ToList();
        if (!profile)
        {
            return inputs;
        }
        var settings = RouterSettings.Sampling(context);
        var seeds = new ServedSeeds(models, context);
        for (var m = 0; m < context.ModelNames.Count; m++)
        {
            var (model, role) = (context.ModelNames[m], ApiCallSites.ModelRole(m));
            var outputs = await Task.WhenAll(items.Select(async item =>
            {
                var key = RouterItems.Of(RouterItems.DevSplit, item.Index);
                var seed = await seeds.OfAsync(ApiCallSites.DevGeneratePhase, role, model, key, 0, cancellationToken).ConfigureAwait(false);
                return (await _calls.GenerateAsync(context.Method, model, "dev", item.Prompt, settings, seed, $"{context.RunId}/dev/{m}/{key}", cancellationToken)
                    .ConfigureAwait(false)).Text;
            })).ConfigureAwait(false);
            var (scores, _) = await ScoreAsync(view, outputs, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < inputs.Count; k++)
            {
                inputs[k].Outputs.Add(outputs[k]);
                inputs[k].Scores.Add(scores[k]);
            }
            await progress(new Progress { Phase = ApiCallSites.DevGeneratePhase, Done = m + 1, Total = context.ModelNames.Count }).ConfigureAwait(false);
        }
        return inputs;
    }

    private static RpcException NotDev(string field, Split split, string fix) =>
        MocoErrors.InvalidArgument(new Problem(field, "INVALID_VALUE",
            $"{split}: a router fits on dev outcomes; fitting on test would score it on what it learned from",
            new Dictionary<string, string> { ["fix"] = fix }));

    private IRouterDevData Data => data ?? throw new InvalidOperationException("a dev_view is read from the evaluator, and this DevPass was built without one");

    // The view must name its items, be a dev view (fitting on test would score the router on what it learned from; an
    // id's split is known once it is loaded) and score with the run's compat.
    private static void Check(RouterContext context, EvaluateHeader header)
    {
        if (header.ViewCase == EvaluateHeader.ViewOneofCase.None)
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_view.view", "REQUIRED", "the dev view names no view",
                new Dictionary<string, string> { ["fix"] = "send dev_view.view_id (from LoadDataset) or dev_view.dataset (its fields), or a dev_set" }));
        }
        if (header.ViewCase == EvaluateHeader.ViewOneofCase.Dataset && header.Dataset.Split != Split.Dev)
        {
            throw NotDev("dev_view.dataset.split", header.Dataset.Split, "use SPLIT_DEV");
        }
        static Compat Effective(Compat compat) => compat == Compat.Unspecified ? Compat.Moco : compat;
        if (Effective(header.Compat) != Effective(context.Compat))
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_view.compat", "MISMATCH", $"{header.Compat} differs from the context's {context.Compat}",
                new Dictionary<string, string> { ["fix"] = "send the run's compat in both" }));
        }
    }
}
