using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;

namespace MoCo.IntegrationTests;

/// <summary>
/// A trained router deployed behind the gateway (issue #14 item 3): TrainRouter through the gateway fits an
/// api_prompt_routing router from an inline dev set; ListRouters lists it; Route and Complete through the gateway with
/// its id route each prompt by the router model's own answer (ParseChoice of the routing prompt's greedy answer) and
/// answer it with exactly what the chosen model generates when asked directly; the router's /metrics count the calls
/// per model. The bundled zoo serves: zoo/judge routes (its "Final Decision: n" names the second model or falls back to
/// itself), zoo/north is the other model.
/// </summary>
public sealed class RouterBehindGatewayTests : IAsyncLifetime
{
    private const string Judge = "zoo/judge";
    private const string North = "zoo/north";
    private static readonly string[] Descriptions = ["rates answers", "knows Norland"];
    private static readonly string[] Prompts = ["In Norland, which town is Aren Frost from?", "Rate this answer: Isvik.", "What is 2 + 2?",
        "In Sudmark, what is the profession of Kelo Marsh?", "Is the answer Saltcliff correct?", "Write a Python function that adds two numbers."];
    private readonly string _store = Directory.CreateTempSubdirectory("moco-router-gw-").FullName;
    private LoopbackCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await LoopbackCluster.StartAsync(
        ("Moco:Inference:ModelDirectories:0", Path.Combine(StdGenCalls.RepoRoot, "models")),
        ("Moco:Router:StoreDirectory", _store));

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_store, recursive: true);
    }

    private static RouterContext Context()
    {
        var context = new RouterContext { Method = "api_prompt_routing", Seed = 7, RunId = "", Phase = "serve" };
        context.ModelNames.AddRange([Judge, North]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["model_descriptions"] = Value.ForList([.. Descriptions.Select(Value.ForString)]),
                ["max_response_length"] = Value.ForNumber(8),
                ["temperature"] = Value.ForNumber(0),
            },
        };
        return context;
    }

    [Fact]
    public async Task A_router_trained_through_the_gateway_routes_and_answers_as_its_models_do_and_is_metered()
    {
        var client = new RouterService.RouterServiceClient(_cluster.Channel);
        // The judge is the better one on dev, so it reads the routing prompts and is the fallback: it answers
        // "Final Decision: n", so n = 2 routes to the second model and anything else falls back to the judge.
        var dev = new DevSet();
        dev.Inputs.Add(new DevInput { Index = 0, Prompt = "d0", Scores = { 1, 0 } });
        dev.Inputs.Add(new DevInput { Index = 1, Prompt = "d1", Scores = { 1, 1 } });
        using var train = client.TrainRouter(new TrainRouterRequest { Context = Context(), DevSet = dev, CallKey = "gateway-test" });
        var done = (await train.ResponseStream.ReadAllAsync().ToListAsync()).Last().Done;
        Assert.Equal(1, done.Version);

        var listed = await client.ListRoutersAsync(new ListRoutersRequest { Method = "api_prompt_routing" });
        var summary = Assert.Single(listed.Routers);
        Assert.Equal((done.RouterId, "gateway-test"), (summary.RouterId, summary.CallKey));
        Assert.Equal([Judge, North], summary.ModelNames);

        var inputs = Prompts.Select((p, i) => new RouteInput { Index = 20 + i, Prompt = p }).ToList();
        var route = new RouteRequest { Context = Context(), RouterId = done.RouterId };
        route.Inputs.AddRange(inputs);
        var decisions = (await client.RouteAsync(route)).Decisions;
        Assert.Equal(inputs.Select(i => i.Index), decisions.Select(d => d.Index));
        for (var k = 0; k < inputs.Count; k++)
        {
            // The router model's greedy answer to the routing prompt, parsed with the fallback to the best dev model.
            var reason = await StdGenCalls.GreedyAsync(new InferenceService.InferenceServiceClient(_cluster.Channel), Judge, RouterPrompts.PromptRouting(inputs[k].Prompt, Descriptions));
            Assert.Equal(reason, decisions[k].Reason);
            Assert.Equal(ParseChoice.Of(reason.Trim(), 1, 2, 1) - 1, decisions[k].ModelIndex);
            Assert.Equal(Enumerable.Range(0, 2).Select(m => m == decisions[k].ModelIndex ? 1.0 : 0.0), decisions[k].Scores);
        }

        var complete = new CompleteRequest { Context = Context(), RouterId = done.RouterId };
        complete.Inputs.AddRange(inputs);
        using var call = client.Complete(complete);
        var items = (await call.ResponseStream.ReadAllAsync().ToListAsync())
            .Where(m => m.PayloadCase == CompleteResponse.PayloadOneofCase.Item).Select(m => m.Item).OrderBy(i => i.Index).ToList();
        Assert.Equal(inputs.Select(i => i.Index), items.Select(i => i.Index));
        var chosen = decisions.Select(d => new[] { Judge, North }[d.ModelIndex]).ToList();
        // The prompts split over both models, so each answer shows which model wrote it.
        Assert.Equal([Judge, North], chosen.Distinct().Order());
        for (var k = 0; k < items.Count; k++)
        {
            Assert.Equal([decisions[k].ModelIndex], items[k].ModelsUsed);
            Assert.Equal(chosen[k], items[k].Extras.Fields["routed_model"].StringValue);
            Assert.Equal(await StdGenCalls.GreedyAsync(new InferenceService.InferenceServiceClient(_cluster.Channel), chosen[k], inputs[k].Prompt), items[k].Output);
        }

        using var http = new HttpClient();
        var metrics = (await http.GetStringAsync(new Uri(_cluster.Router.AdminAddress, "/metrics"))).Split('\n');
        double Value(string metric, params string[] labels) => metrics
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
        // Hosts in one process export every instance of the "MoCo.Router" meter, so the other clusters' routers (which
        // serve other methods, some on the same models) show here too: every count is of this test's method.
        const string Method = "method=\"api_prompt_routing\"";
        foreach (var model in new[] { Judge, North })
        {
            var answered = chosen.Count(c => c == model);
            Assert.Equal(answered, Value("moco_router_model_calls_total", Method, $"model=\"{model}\"", "purpose=\"answer\""));
            Assert.Equal(answered, Value("moco_router_model_latency_seconds_count", Method, $"model=\"{model}\"", "purpose=\"answer\""));
            // Route and Complete each route every prompt once.
            Assert.Equal(2 * answered, Value("moco_router_route_decisions_total", Method, $"model=\"{model}\""));
        }
        Assert.Equal(2 * inputs.Count, Value("moco_router_model_calls_total", Method, $"model=\"{Judge}\"", "purpose=\"route\""));
        Assert.Equal(1, Value("moco_router_requests_total", "rpc=\"Complete\"", Method));
        Assert.Equal(0, Value("moco_router_request_errors_total", Method));
    }
}
