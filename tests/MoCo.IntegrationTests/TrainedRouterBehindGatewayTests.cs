using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;

namespace MoCo.IntegrationTests;

/// <summary>
/// api_trained_router fitted by the router service (methods-api.md §0.11 "TrainRouter fits (dev)": router LoRA): TrainRouter
/// through the gateway labels the dev set (the smoke reward model breaks the one tie), trains zoo/base's router with
/// ChooserSFT on the inference service the router uses, streaming each optimizer step, and stores it; Route with its id
/// routes each prompt by the trained model's own greedy answer to the routing prompt (ParseChoice, with the seeded draw
/// for unparseable answers); the same call key returns the same router without training again. api_switch_generation's
/// selector is trained the same way from rollouts on the zoo models, and Complete with the stored selector answers as
/// Complete naming the trained selector does.
/// </summary>
public sealed class TrainedRouterBehindGatewayTests : IAsyncLifetime
{
    private static readonly string[] Descriptions = ["knows Norland", "knows Sudmark"];
    private static readonly string[] Prompts = ["In Norland, which town is Aren Frost from?", "In Sudmark, what is the profession of Kelo Marsh?", "What is 2 + 2?",
        "Rate this answer: Isvik."];
    private readonly string _store = Directory.CreateTempSubdirectory("moco-trained-router-").FullName;
    private LoopbackCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await LoopbackCluster.StartAsync(
        ("Moco:Inference:ModelDirectories:0", Path.Combine(StdGenCalls.RepoRoot, "models")),
        ("Moco:Inference:ModelDirectories:1", Path.Combine(StdGenCalls.RepoRoot, "examples", "smoke", "models")),
        ("Moco:Router:StoreDirectory", _store));

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_store, recursive: true);
    }

    private static RouterContext Context()
    {
        var context = new RouterContext { Method = "api_trained_router", Seed = 7, RunId = "serve", Phase = "serve" };
        context.ModelNames.AddRange(["zoo/north", "zoo/south"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["router_base_model"] = Value.ForString("zoo/base"),
                ["reward_model_name"] = Value.ForString("smoke-reward"),
                ["model_descriptions"] = Value.ForList([.. Descriptions.Select(Value.ForString)]),
                ["max_response_length"] = Value.ForNumber(8),
                ["temperature"] = Value.ForNumber(0),
            },
        };
        return context;
    }

    private async Task<List<TrainRouterResponse>> TrainAsync(RouterService.RouterServiceClient client)
    {
        var dev = new DevSet();
        dev.Inputs.Add(new DevInput { Index = 0, Prompt = Prompts[0], Scores = { 1, 0 } });
        dev.Inputs.Add(new DevInput { Index = 1, Prompt = Prompts[1], Scores = { 0, 1 } });
        dev.Inputs.Add(new DevInput { Index = 2, Prompt = Prompts[2], Scores = { 1, 1 }, Outputs = { "4", "Four." } });
        using var call = client.TrainRouter(new TrainRouterRequest { Context = Context(), DevSet = dev, CallKey = "trained-router-test" });
        return await call.ResponseStream.ReadAllAsync().ToListAsync();
    }

    [Fact]
    public async Task A_router_trained_through_the_gateway_routes_by_its_trained_models_answers_and_is_not_trained_twice()
    {
        var client = new RouterService.RouterServiceClient(_cluster.Channel);
        var messages = await TrainAsync(client);
        var steps = messages.Where(m => m.PayloadCase == TrainRouterResponse.PayloadOneofCase.Progress && m.Progress.Phase == ApiCallSites.TrainRouterPhase)
            .Select(m => m.Progress).ToList();
        // Three rows, micro-batch 1 and accumulation 32: one optimizer step per epoch, five epochs.
        Assert.Equal(Enumerable.Range(0, 6).Select(s => (s, 5)), steps.Select(p => (p.Done, p.Total)));
        var done = messages[^1].Done;
        Assert.Equal(1, done.Version);
        Assert.StartsWith("trained-", done.Artifact, StringComparison.Ordinal);

        // The trained router lives on the inference replica the router service trains and generates on.
        using var replica = GrpcChannel.ForAddress(_cluster.Inference[0].GrpcAddress);
        var inference = new InferenceService.InferenceServiceClient(replica);
        var route = new RouteRequest { Context = Context(), RouterId = done.RouterId };
        route.Inputs.AddRange(Prompts.Select((p, i) => new RouteInput { Index = 10 + i, Prompt = p }));
        var decisions = (await client.RouteAsync(route)).Decisions;
        for (var k = 0; k < Prompts.Length; k++)
        {
            var reason = await StdGenCalls.GreedyAsync(inference, done.Artifact, RouterPrompts.TrainedRouter(Prompts[k], 2, Descriptions));
            Assert.Equal(reason, decisions[k].Reason);
            Assert.Equal(ParseChoice.OrDraw(reason.Trim(), 1, 2, 7, ParseChoice.RouteFallback, $"test/{10 + k}", 0) - 1, decisions[k].ModelIndex);
        }

        var again = await TrainAsync(client);
        Assert.DoesNotContain(again, m => m.PayloadCase == TrainRouterResponse.PayloadOneofCase.Progress && m.Progress.Phase == ApiCallSites.TrainRouterPhase);
        Assert.Equal(done, again[^1].Done);
    }

    [Fact]
    public async Task A_switch_selector_trained_through_the_gateway_is_the_selector_Complete_serves()
    {
        var client = new RouterService.RouterServiceClient(_cluster.Channel);
        var context = new RouterContext { Method = "api_switch_generation", Seed = 7, RunId = "serve", Phase = "serve" };
        context.ModelNames.AddRange(["zoo/north", "zoo/south"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["selector_base_model"] = Value.ForString("zoo/base"),
                ["reward_model_name"] = Value.ForString("smoke-reward"),
                ["patch_size"] = Value.ForNumber(2),
                ["max_response_length"] = Value.ForNumber(8),
                ["batch_size"] = Value.ForNumber(2),
                ["training_instance_num"] = Value.ForNumber(2),
                ["rollout_per_instance"] = Value.ForNumber(2),
                ["temperature"] = Value.ForNumber(0),
            },
        };
        var dev = new DevSet();
        dev.Inputs.Add(Prompts.Take(2).Select((p, i) => new DevInput { Index = i, Prompt = p }));
        using var call = client.TrainRouter(new TrainRouterRequest { Context = context, DevSet = dev, CallKey = "selector-test" });
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();
        var progress = messages.Where(m => m.PayloadCase == TrainRouterResponse.PayloadOneofCase.Progress).Select(m => (m.Progress.Phase, m.Progress.Done, m.Progress.Total));
        // One iteration of rollouts, then two rows at accumulation 32: one optimizer step per epoch, five epochs.
        Assert.Equal([(ApiCallSites.RolloutPhase, 1, 1), .. Enumerable.Range(0, 6).Select(s => (ApiCallSites.TrainSelectorPhase, s, 5)), ("dev · fit", 2, 2)], progress);
        var done = messages[^1].Done;
        Assert.StartsWith("trained-", done.Artifact, StringComparison.Ordinal);

        var inputs = Prompts.Select((p, i) => new RouteInput { Index = i, Prompt = p }).ToList();
        var stored = await CompleteAsync(client, context, done.RouterId, inputs);
        var named = context.Clone();
        named.Hyperparameters.Fields["selector_model_name"] = Value.ForString(done.Artifact);
        var given = await CompleteAsync(client, named, null, inputs);
        Assert.Equal(given.Select(i => (i.Output, i.Extras)), stored.Select(i => (i.Output, i.Extras)));
        // Each round of each item asked the trained selector for its author: the stored router serves the trained model.
        var segments = stored.Concat(given).Sum(i => i.Extras.Fields["segment_model_index"].ListValue.Values.Count);
        using var http = new HttpClient();
        var metrics = (await http.GetStringAsync(new Uri(_cluster.Router.AdminAddress, "/metrics"))).Split('\n');
        var selections = metrics.Where(l => l.StartsWith("moco_router_model_calls_total{", StringComparison.Ordinal)
                && l.Contains($"model=\"{done.Artifact}\"", StringComparison.Ordinal) && l.Contains("purpose=\"select\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(segments, selections);
    }

    private static async Task<List<CompletedItem>> CompleteAsync(RouterService.RouterServiceClient client, RouterContext context, string? routerId,
        IEnumerable<RouteInput> inputs)
    {
        var request = new CompleteRequest { Context = context, RouterId = routerId };
        request.Inputs.AddRange(inputs);
        using var call = client.Complete(request);
        return [.. (await call.ResponseStream.ReadAllAsync().ToListAsync()).Where(m => m.PayloadCase == CompleteResponse.PayloadOneofCase.Item)
            .Select(m => m.Item).OrderBy(i => i.Index)];
    }
}
