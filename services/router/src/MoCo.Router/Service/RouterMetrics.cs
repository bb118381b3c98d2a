using System.Diagnostics.Metrics;
using MoCo.Hosting.Telemetry;

namespace MoCo.Router.Service;

/// <summary>
/// The router service's instruments (meter "MoCo.Router", exported at /metrics on the admin port): requests and
/// errors per RPC and method, route decisions per chosen model, and every call the router makes to a model — its
/// count and latency per (method, model, purpose) — so a router deployed behind the gateway shows how its traffic
/// splits over the models and what each costs. One instance per host: a MeterListener can tell instances apart, but
/// OpenTelemetry exports every "MoCo.Router" meter of the process, so hosts sharing a process (tests) see each other's.
/// </summary>
public sealed class RouterMetrics : IDisposable
{
    /// <summary>Name of the requests counter.</summary>
    public const string Requests = "moco.router.requests";

    /// <summary>Name of the failed-requests counter.</summary>
    public const string Errors = "moco.router.request.errors";

    /// <summary>Name of the route-decisions counter.</summary>
    public const string Decisions = "moco.router.route.decisions";

    /// <summary>Name of the model-calls counter.</summary>
    public const string ModelCalls = "moco.router.model.calls";

    /// <summary>Name of the model-call latency histogram (seconds).</summary>
    public const string ModelLatency = "moco.router.model.latency";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _modelCalls;
    private readonly Histogram<double> _modelLatency;

    /// <summary>A new meter with the router's instruments.</summary>
    public RouterMetrics()
    {
        Meter = MocoTelemetry.Meter("Router");
        _requests = Meter.CreateCounter<long>(Requests, "{request}", "Router RPCs received, by rpc and method");
        _errors = Meter.CreateCounter<long>(Errors, "{request}", "Router RPCs that failed, by rpc, method and gRPC status code");
        _decisions = Meter.CreateCounter<long>(Decisions, "{decision}", "Route decisions, by method and chosen model");
        _modelCalls = Meter.CreateCounter<long>(ModelCalls, "{call}", "Calls the router made to a model, by method, model and purpose");
        _modelLatency = Meter.CreateHistogram<double>(ModelLatency, "s", "Latency of the router's calls to a model, by method, model and purpose");
    }

    /// <summary>The meter the instruments belong to.</summary>
    public Meter Meter { get; }

    /// <summary>One request of <paramref name="rpc"/> for <paramref name="method"/> arrived.</summary>
    public void Request(string rpc, string method) => _requests.Add(1, Tag("rpc", rpc), Tag("method", method));

    /// <summary>One request of <paramref name="rpc"/> for <paramref name="method"/> failed with <paramref name="code"/>.</summary>
    public void Error(string rpc, string method, Grpc.Core.StatusCode code) =>
        _errors.Add(1, Tag("rpc", rpc), Tag("method", method), Tag("code", code.ToString()));

    /// <summary><paramref name="method"/> routed one prompt to <paramref name="model"/>.</summary>
    public void Decision(string method, string model) => _decisions.Add(1, Tag("method", method), Tag("model", model));

    /// <summary>One call to <paramref name="model"/> for <paramref name="purpose"/> ("route", "answer", "decode") took
    /// <paramref name="elapsed"/>.</summary>
    public void ModelCall(string method, string model, string purpose, TimeSpan elapsed)
    {
        KeyValuePair<string, object?>[] tags = [Tag("method", method), Tag("model", model), Tag("purpose", purpose)];
        _modelCalls.Add(1, tags);
        _modelLatency.Record(elapsed.TotalSeconds, tags);
    }

    /// <inheritdoc/>
    public void Dispose() => Meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
