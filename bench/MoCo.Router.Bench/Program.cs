using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Inference;
using MoCo.Router.Decoding;
using MoCo.Router.Service;
using MoCo.Router.Store;

// Router overhead and token-level cost against single-model baselines measured in the same run, on a real inference
// host serving examples/smoke/models (CPU):
//   dotnet run -c Release --project bench/MoCo.Router.Bench -- [--requests 32] [--tokens 16]
// 1. route-then-answer (a stored api_prompt_routing router: one routing generation of --tokens, then the answer) vs the
//    answer alone, per request, and the router's own work (store lookup, prompt, ParseChoice) with an instant model,
//    without and with RouterMetrics under a listener that aggregates every measurement (as an exporter does);
// 2. nudging (two models in lock-step over Decode, TextSync) tokens/s vs one model's Generate tokens/s, greedy;
// 3. api_collm deferral decoding (the generator's last id standing in for the trained entry) never deferring (τ 1) and
//    always deferring (τ −1), tokens/s vs the same Generate, and the cost of one deferred token.
var requests = Int("--requests", 32);
var tokens = Int("--tokens", 16);
var models = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "smoke", "models"));
await using var host = await MocoHost.StartAsync(new InferenceModule(), configure: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Moco:Host:BindAddress"] = "127.0.0.1",
    ["Moco:Host:GrpcPort"] = "0",
    ["Moco:Host:AdminPort"] = "0",
    ["Logging:LogLevel:Default"] = "Warning",
    ["Moco:Inference:Device"] = "cpu",
    ["Moco:Inference:ModelDirectories:0"] = models,
    ["Moco:Inference:KvCacheTokens"] = "16384",
}));
using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
var client = new InferenceService.InferenceServiceClient(channel);
var prompts = Enumerable.Range(0, requests).Select(i => $"Question {i}: what is {i} + {i * 3}?").ToList();
var settings = new SamplingSettings(tokens, 0, 1);
var generation = new GrpcRouterModels(client);
Console.WriteLine($"MoCo.NET router bench — {Environment.ProcessorCount} cores; smoke models, {requests} requests, {tokens} tokens, greedy");

// Warm-up: load every model once.
foreach (var m in new[] { "smoke-llama", "smoke-qwen2", "smoke-mistral" })
{
    await generation.GenerateAsync(m, "warm up", settings, 0, "", default);
}

var direct = await TimeAsync(async () =>
{
    foreach (var p in prompts)
    {
        await generation.GenerateAsync("smoke-qwen2", p, settings, 1, "", default);
    }
});
var store = new RouterStore(Directory.CreateTempSubdirectory("moco-router-bench-").FullName);
var router = store.Save("api_prompt_routing", ["smoke-llama", "smoke-qwen2", "smoke-mistral"], "", "bench", new JsonObject
{
    ["kind"] = "text",
    ["router_model"] = "smoke-llama",
    ["prompt"] = "prompt_routing",
    ["descriptions"] = new JsonArray("llama", "qwen2", "mistral"),
    ["fallback"] = 1,
});
var context = new RouterContext { Method = "api_prompt_routing", Seed = 1 };
context.ModelNames.AddRange(router.ModelNames);
context.Hyperparameters = new Google.Protobuf.WellKnownTypes.Struct
{
    Fields = { ["max_response_length"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(tokens), ["temperature"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(0) },
};
var routing = new TextRouting(generation);
var routed = await TimeAsync(async () =>
{
    foreach (var (p, i) in prompts.Select((p, i) => (p, i)))
    {
        await foreach (var _ in routing.CompleteAsync(context, store.Find(router.RouterId)!, [new RouteInput { Index = i, Prompt = p }], default))
        {
        }
    }
});
var instant = new TextRouting(new InstantModels());
var own = await TimeAsync(async () =>
{
    for (var i = 0; i < 2000; i++)
    {
        await instant.RouteAsync(context, store.Find(router.RouterId)!, [new RouteInput { Index = i, Prompt = prompts[i % prompts.Count] }], default);
    }
});
using var metrics = new RouterMetrics();
using var listener = new System.Diagnostics.Metrics.MeterListener();
var measured = 0.0;
listener.InstrumentPublished = (instrument, l) =>
{
    if (ReferenceEquals(instrument.Meter, metrics.Meter))
    {
        l.EnableMeasurementEvents(instrument);
    }
};
listener.SetMeasurementEventCallback<long>((_, v, _, _) => measured += v);
listener.SetMeasurementEventCallback<double>((_, v, _, _) => measured += v);
listener.Start();
var metered = new TextRouting(new InstantModels(), metrics);
var ownMetered = await TimeAsync(async () =>
{
    for (var i = 0; i < 2000; i++)
    {
        await metered.RouteAsync(context, store.Find(router.RouterId)!, [new RouteInput { Index = i, Prompt = prompts[i % prompts.Count] }], default);
    }
});
// The first loop also warms the JIT and the file cache: time the plain loop again after the metered one, keep the faster.
var ownAgain = await TimeAsync(async () =>
{
    for (var i = 0; i < 2000; i++)
    {
        await instant.RouteAsync(context, store.Find(router.RouterId)!, [new RouteInput { Index = i, Prompt = prompts[i % prompts.Count] }], default);
    }
});
own = own < ownAgain ? own : ownAgain;
Console.WriteLine($"route-then-answer      {Ms(routed / requests),8} ms/request   answer alone {Ms(direct / requests),8} ms/request   ratio {routed / direct:F2}×");
Console.WriteLine($"router's own work      {own.TotalMilliseconds * 1000 / 2000,8:F1} µs/request (store lookup, prompt, ParseChoice; instant model)");
Console.WriteLine($"  with metrics         {ownMetered.TotalMilliseconds * 1000 / 2000,8:F1} µs/request   ratio {ownMetered / own:F2}× (model call, latency, decision per request)");

var backend = new GrpcDecodeBackend(client);
var single = await TimeAsync(async () =>
{
    foreach (var p in prompts)
    {
        await generation.GenerateAsync("smoke-llama", p, settings with { MaxNewTokens = tokens }, 2, "", default);
    }
});
var pieces = 0;
var nudged = 0;
var nudging = await TimeAsync(async () =>
{
    foreach (var (p, i) in prompts.Select((p, i) => (p, i)))
    {
        var text = await Nudging.RunAsync(backend, new NudgingSettings("smoke-llama", "smoke-qwen2", 0.4, tokens, 0, false, false), p, 3, $"bench/{i}", default);
        pieces += text.Authors.Count;
        nudged += text.Authors.Zip(text.Authors.Skip(1)).Count(a => a.First != a.Second);
    }
});
Console.WriteLine($"single model Generate  {requests * tokens / single.TotalSeconds,8:F1} tok/s");
Console.WriteLine($"nudging (2 models)     {pieces / nudging.TotalSeconds,8:F1} tok/s   ratio {pieces / nudging.TotalSeconds / (requests * tokens / single.TotalSeconds):F2}×   "
    + $"{nudged} switches in {pieces} pieces");

var collm = new Dictionary<double, (TimeSpan Time, int Tokens, int Deferred)>();
foreach (var threshold in new[] { 1.0, -1.0 })
{
    var (written, deferred) = (0, 0);
    var time = await TimeAsync(async () =>
    {
        foreach (var (p, i) in prompts.Select((p, i) => (p, i)))
        {
            var ids = await backend.TokenizeAsync("smoke-llama", p, special: true, default);
            var text = await CoLlmDecoding.RunAsync(backend, new CoLlmSettings("smoke-llama", "smoke-qwen2", 255, 255, new CoLlmThresholds(threshold, "none", 0, tokens),
                false, tokens), ids, $"collm/{i}", default);
            (written, deferred) = (written + text.Ids.Count, deferred + text.Deferred);
        }
    });
    collm[threshold] = (time, written, deferred);
}
var (never, always) = (collm[1.0], collm[-1.0]);
var singleRate = requests * tokens / single.TotalSeconds;
Console.WriteLine($"collm, never deferring {never.Tokens / never.Time.TotalSeconds,8:F1} tok/s   ratio {never.Tokens / never.Time.TotalSeconds / singleRate:F2}×");
Console.WriteLine($"collm, always deferring{always.Tokens / always.Time.TotalSeconds,8:F1} tok/s   ratio {always.Tokens / always.Time.TotalSeconds / singleRate:F2}×   "
    + $"{Ms((always.Time - (never.Time * always.Tokens / Math.Max(1, never.Tokens))) / Math.Max(1, always.Deferred))} ms per deferred token");

static async Task<TimeSpan> TimeAsync(Func<Task> work)
{
    var clock = Stopwatch.StartNew();
    await work();
    return clock.Elapsed;
}

static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture);

int Int(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

// A model that answers at once, so the router's own cost is what is timed.
internal sealed class InstantModels : IRouterModels
{
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey, CancellationToken cancellationToken) =>
        Task.FromResult(new RouterGeneration("2", new Usage()));

    public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
        throw new NotSupportedException("text routers never embed");
}
