using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Router.Tests;

/// <summary>The router's instruments (<see cref="RouterMetrics"/>): after a Complete over scripted models, the model
/// calls per (model, purpose), the route decisions per chosen model and one latency sample per call are exactly what
/// the routing did.</summary>
public sealed class RouterMetricsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-router-metrics-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly RouterMetrics _metrics = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string> Tags)> _measured = new();

    public RouterMetricsTests()
    {
        // Only this test's meter instance: other tests' routers in the same process publish under the same name.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, string>();
        foreach (var tag in tags)
        {
            map[tag.Key] = (string)tag.Value!;
        }
        _measured.Enqueue((instrument.Name, value, map));
    }

    private sealed class EchoModels : IRouterModels
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        // The router model (m-b) names model 3 for questions mentioning "three", model 1 otherwise.
        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken) =>
            Task.FromResult(new RouterGeneration(
                prompt.Contains("routes user questions", StringComparison.Ordinal) ? (prompt.Contains("three", StringComparison.Ordinal) ? "3" : "1") : model,
                new Usage()));

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new NotSupportedException("text routers never embed");
    }

    private double Sum(string instrument, params (string Key, string Value)[] tags) =>
        _measured.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value)).Sum(m => m.Value);

    [Fact]
    public async Task A_complete_counts_each_model_call_and_decision_by_model()
    {
        var router = new RouterStore(_directory).Save("api_prompt_routing", ["m-a", "m-b", "m-c"], "", "k",
            new JsonObject { ["kind"] = "text", ["router_model"] = "m-b", ["prompt"] = "prompt_routing", ["descriptions"] = new JsonArray("x", "y", "z"), ["fallback"] = 1 });
        var context = new RouterContext { Method = "api_prompt_routing", Seed = 1, RunId = "r" };
        context.ModelNames.AddRange(["m-a", "m-b", "m-c"]);
        context.Hyperparameters = new Struct();
        RouteInput[] inputs = [new() { Index = 0, Prompt = "one" }, new() { Index = 1, Prompt = "three" }, new() { Index = 2, Prompt = "three again" }];
        var routing = new TextRouting(new EchoModels(), _metrics);
        var outputs = new List<string>();
        await foreach (var item in routing.CompleteAsync(context, router, inputs, default))
        {
            outputs.Add(item.Output);
        }
        Assert.Equal(["m-a", "m-c", "m-c"], outputs.Order());

        const string Calls = RouterMetrics.ModelCalls;
        Assert.Equal(3, Sum(Calls, ("model", "m-b"), ("purpose", "route"), ("method", "api_prompt_routing")));
        Assert.Equal(1, Sum(Calls, ("model", "m-a"), ("purpose", "answer")));
        Assert.Equal(2, Sum(Calls, ("model", "m-c"), ("purpose", "answer")));
        Assert.Equal(0, Sum(Calls, ("model", "m-b"), ("purpose", "answer")));
        Assert.Equal(1, Sum(RouterMetrics.Decisions, ("model", "m-a")));
        Assert.Equal(2, Sum(RouterMetrics.Decisions, ("model", "m-c")));
        Assert.Equal(6, _measured.Count(m => m.Instrument == RouterMetrics.ModelLatency));
        Assert.All(_measured.Where(m => m.Instrument == RouterMetrics.ModelLatency), m => Assert.True(m.Value >= 0));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
