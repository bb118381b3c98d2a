using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Router.Evaluation;
using MoCo.Router.Routing;
using MoCo.Router.Store;

namespace MoCo.IntegrationTests;

/// <summary>
/// TrainRouter with a dev_view through the gateway (router.proto TrainRouterRequest.dev_view): the router loads the dev
/// view from the evaluator, has every model answer every dev prompt and scores the answers itself, then fits — here an
/// api_graph_routing network, whose weights show any difference in its dev profile. A client that does the same dev
/// pass itself (LoadDataset, each model's greedy answers, Evaluate) and sends it as a dev_set gets the same router, and
/// so does a dev_view that names the view by the id that LoadDataset answered. An
/// api_nudging search on a dev view stores its best (gamma, nudger), and Complete with that router answers as Complete
/// configured with the pair does.
/// </summary>
public sealed class DevViewBehindGatewayTests : IAsyncLifetime
{
    private static readonly string[] Models = ["zoo/north", "zoo/south"];
    private readonly string _store = Directory.CreateTempSubdirectory("moco-dev-view-").FullName;
    private LoopbackCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await LoopbackCluster.StartAsync(
        ("Moco:Inference:ModelDirectories:0", Path.Combine(StdGenCalls.RepoRoot, "models")),
        ("Moco:Evaluator:DataDirectories:0", Path.Combine(StdGenCalls.RepoRoot, "data")),
        ("Moco:Router:StoreDirectory", _store));

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_store, recursive: true);
    }

    private static RouterContext Context()
    {
        var context = new RouterContext { Method = "api_graph_routing", Seed = 3, RunId = "serve", Phase = "serve", Task = "zoo_world" };
        context.ModelNames.AddRange(Models);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["model_descriptions"] = Value.ForList(Value.ForString("knows Norland"), Value.ForString("knows Sudmark")),
                ["embedding_model_name"] = Value.ForString("zoo/base"),
                ["hidden_features"] = Value.ForNumber(4),
                ["train_epochs"] = Value.ForNumber(5),
                ["max_response_length"] = Value.ForNumber(8),
                ["temperature"] = Value.ForNumber(0),
            },
        };
        return context;
    }

    private static LoadDatasetRequest Dataset() => new() { Task = "zoo_world", Split = Split.Dev, Limit = 6 };

    [Fact]
    public async Task A_router_fitted_on_a_dev_view_is_the_router_fitted_on_the_same_dev_pass_sent_as_a_dev_set()
    {
        var router = new RouterService.RouterServiceClient(_cluster.Channel);
        using var viewCall = router.TrainRouter(new TrainRouterRequest { Context = Context(), DevView = new EvaluateHeader { Dataset = Dataset() }, CallKey = "view" });
        var viewMessages = await viewCall.ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal([(ApiCallSites.DevGeneratePhase, 1, 2), (ApiCallSites.DevGeneratePhase, 2, 2), ("dev · fit", 6, 6)],
            viewMessages.Where(m => m.PayloadCase == TrainRouterResponse.PayloadOneofCase.Progress).Select(m => (m.Progress.Phase, m.Progress.Done, m.Progress.Total)));

        var dev = await ClientDevPassAsync();
        Assert.Equal(6, dev.Set.Inputs.Count);
        using var setCall = router.TrainRouter(new TrainRouterRequest { Context = Context(), DevSet = dev.Set, CallKey = "set" });
        var setDone = (await setCall.ResponseStream.ReadAllAsync().ToListAsync())[^1].Done;

        using var idCall = router.TrainRouter(new TrainRouterRequest { Context = Context(), DevView = new EvaluateHeader { ViewId = dev.ViewId }, CallKey = "id" });
        var idDone = (await idCall.ResponseStream.ReadAllAsync().ToListAsync())[^1].Done;

        var store = new RouterStore(_store);
        var (fromView, fromSet, fromId) = (store.Find(viewMessages[^1].Done.RouterId)!, store.Find(setDone.RouterId)!, store.Find(idDone.RouterId)!);
        Assert.Equal(fromSet.Payload.ToJsonString(), fromView.Payload.ToJsonString());
        Assert.Equal(fromSet.Payload.ToJsonString(), fromId.Payload.ToJsonString());
    }

    [Fact]
    public async Task A_nudging_search_on_a_dev_view_stores_the_pair_that_Complete_then_nudges_with()
    {
        var router = new RouterService.RouterServiceClient(_cluster.Channel);
        var context = new RouterContext { Method = "api_nudging", Seed = 3, RunId = "serve", Phase = "serve", Task = "zoo_world" };
        context.ModelNames.AddRange(["zoo/base", "zoo/north"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["search_gamma"] = Value.ForBool(true),
                // Outside the search grid: Complete with the stored router must not nudge with it.
                ["gamma"] = Value.ForNumber(0.95),
                ["max_response_length"] = Value.ForNumber(8),
                ["do_sample"] = Value.ForBool(false),
            },
        };
        var dataset = Dataset();
        dataset.Limit = 3;
        using var call = router.TrainRouter(new TrainRouterRequest { Context = context, DevView = new EvaluateHeader { Dataset = dataset }, CallKey = "nudge" });
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal([1, 2, 3, 4], messages.Where(m => m.PayloadCase == TrainRouterResponse.PayloadOneofCase.Progress && m.Progress.Phase == "dev · search")
            .Select(m => m.Progress.Done));
        var stored = new RouterStore(_store).Find(messages[^1].Done.RouterId)!;
        Assert.Equal(4, stored.Payload["search_dev_scores"]!.AsArray().Count);

        var inputs = new[] { "In Norland, which town is Aren Frost from?", "What is 2 + 2?" }.Select((p, i) => new RouteInput { Index = i, Prompt = p }).ToList();
        var configured = context.Clone();
        configured.Hyperparameters.Fields["search_gamma"] = Value.ForBool(false);
        configured.Hyperparameters.Fields["gamma"] = Value.ForNumber((double)stored.Payload["gamma"]!);
        configured.Hyperparameters.Fields["nudging_model_id"] = Value.ForNumber((int)stored.Payload["nudging_model_id"]!);
        var served = await CompleteAsync(router, context, stored.RouterId, inputs);
        Assert.Equal(await CompleteAsync(router, configured, null, inputs), served);
        Assert.All(served, item => Assert.NotEmpty(item.Output));
    }

    private static async Task<List<(string Output, Struct Extras)>> CompleteAsync(RouterService.RouterServiceClient client, RouterContext context, string? routerId,
        IEnumerable<RouteInput> inputs)
    {
        var request = new CompleteRequest { Context = context, RouterId = routerId };
        request.Inputs.AddRange(inputs);
        using var call = client.Complete(request);
        return [.. (await call.ResponseStream.ReadAllAsync().ToListAsync()).Where(m => m.PayloadCase == CompleteResponse.PayloadOneofCase.Item)
            .Select(m => m.Item).OrderBy(i => i.Index).Select(i => (i.Output, i.Extras))];
    }

    // What a client does without dev_view: the view's prompts, each model's greedy answer (StdGen: one user turn, the
    // same budget), each model's answers scored on the view (whose id comes along).
    private async Task<(DevSet Set, string ViewId)> ClientDevPassAsync()
    {
        var evaluator = new EvaluatorService.EvaluatorServiceClient(_cluster.Channel);
        using var load = evaluator.LoadDataset(Dataset());
        var loaded = await load.ResponseStream.ReadAllAsync().ToListAsync();
        var viewId = loaded[0].Info.ViewId;
        var items = loaded.Skip(1).Select(m => m.Item).ToList();
        var inference = new InferenceService.InferenceServiceClient(_cluster.Channel);
        var dev = new DevSet();
        dev.Inputs.Add(items.Select(i => new DevInput { Index = i.Index, Prompt = i.Prompt }));
        foreach (var model in Models)
        {
            var outputs = new List<string>();
            foreach (var item in items)
            {
                outputs.Add(await StdGenCalls.GreedyAsync(inference, model, item.Prompt));
            }
            var (results, _) = await EvaluateCalls.RunAsync(evaluator, new EvaluateHeader { ViewId = viewId },
                [.. items.Select((item, k) => new EvaluateOutput { Index = item.Index, Text = outputs[k] })], default);
            for (var k = 0; k < items.Count; k++)
            {
                dev.Inputs[k].Outputs.Add(outputs[k]);
                dev.Inputs[k].Scores.Add(results[items[k].Index].Score ?? double.NaN);
            }
        }
        return (dev, viewId);
    }
}
