using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Testing;

namespace MoCo.Router.Tests;

/// <summary>The router service over gRPC (contracts.md §5): TrainRouter fits and stores an api_prompt_routing router
/// and a just_ask api_cascade router from an inline dev set, ListRouters lists it with its version, and requests that cannot be served are refused with
/// the field and the fix.</summary>
public sealed class RouterServiceTests : IAsyncLifetime
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "moco-router-svc-" + Guid.NewGuid().ToString("N")[..8]);
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;
    private RouterService.RouterServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await LoopbackHost.StartAsync(new RouterModule(), ("Moco:Router:StoreDirectory", _store), ("Moco:Router:InferenceAddress", "http://127.0.0.1:9"));
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress);
        _client = new RouterService.RouterServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    private static RouterContext Context(string method = "api_prompt_routing")
    {
        var context = new RouterContext { Method = method, Seed = 3, RunId = "" };
        context.ModelNames.AddRange(["m-a", "m-b"]);
        var descriptions = new ListValue();
        descriptions.Values.Add(Value.ForString("cheap"));
        descriptions.Values.Add(Value.ForString("careful"));
        context.Hyperparameters = new Struct { Fields = { ["model_descriptions"] = Value.ForList([.. descriptions.Values]) } };
        return context;
    }

    private async Task<TrainRouterDone> TrainAsync(string key, params double[][] scores)
    {
        var dev = new DevSet();
        dev.Inputs.AddRange(scores.Select((s, i) =>
        {
            var input = new DevInput { Index = i, Prompt = $"q{i}" };
            input.Scores.AddRange(s);
            return input;
        }));
        using var call = _client.TrainRouter(new TrainRouterRequest { Context = Context(), DevSet = dev, CallKey = key });
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal(TrainRouterResponse.PayloadOneofCase.Progress, messages[0].PayloadCase);
        return messages[^1].Done;
    }

    [Fact]
    public async Task TrainRouter_for_mentor_collab_fits_nothing_without_dev_data_but_checks_the_judge_train_mode_needs()
    {
        using var free = _client.TrainRouter(new TrainRouterRequest { Context = Context("api_mentor_collab"), CallKey = "mentor" });
        var done = (await free.ResponseStream.ReadAllAsync().ToListAsync())[^1].Done;
        Assert.Equal((1, $"routers/{done.RouterId}.json"), (done.Version, done.Artifact));
        var listed = Assert.Single((await _client.ListRoutersAsync(new ListRoutersRequest { Method = "api_mentor_collab" })).Routers);
        Assert.Equal(done.RouterId, listed.RouterId);

        var train = Context("api_mentor_collab");
        train.Hyperparameters.Fields["mode"] = Value.ForString("train");
        using var judged = _client.TrainRouter(new TrainRouterRequest { Context = train, CallKey = "mentor-train" });
        var missing = await Assert.ThrowsAsync<RpcException>(() => judged.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        Assert.Equal(StatusCode.FailedPrecondition, missing.StatusCode);
        Assert.Contains("JUDGE_MISSING", string.Join(",", MoCo.Hosting.Errors.MocoErrors.ErrorInfos(missing).Select(i => i.Reason)), StringComparison.Ordinal);

        // Every other method needs dev data.
        using var undeveloped = _client.TrainRouter(new TrainRouterRequest { Context = Context(), CallKey = "no-dev" });
        var noDev = await Assert.ThrowsAsync<RpcException>(() => undeveloped.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        Assert.Equal("dev", Assert.Single(MoCo.Hosting.Errors.MocoErrors.FieldViolations(noDev)).Field);
    }

    [Fact]
    public async Task TrainRouter_stores_a_versioned_router_and_the_same_key_returns_it()
    {
        var first = await TrainAsync("key-1", [0, 1], [1, 1]);
        var again = await TrainAsync("key-1", [1, 0], [1, 0]);
        var refit = await TrainAsync("key-2", [1, 0], [1, 0]);
        Assert.Equal((first.RouterId, 1), (again.RouterId, again.Version));
        Assert.Equal(2, refit.Version);
        var listed = await _client.ListRoutersAsync(new ListRoutersRequest { Method = "api_prompt_routing" });
        Assert.Equal([refit.RouterId, first.RouterId], listed.Routers.Select(r => r.RouterId));
        Assert.Equal(["m-a", "m-b"], listed.Routers[0].ModelNames);
        Assert.Empty((await _client.ListRoutersAsync(new ListRoutersRequest { Method = "api_cascade" })).Routers);
        Assert.True(File.Exists(Path.Combine(_store, first.RouterId + ".json")));
    }

    [Fact]
    public async Task TrainRouter_fits_a_just_ask_cascade_without_any_model_call()
    {
        var context = Context("api_cascade");
        context.Hyperparameters.Fields["mode"] = Value.ForString("just_ask");
        // The inference address is unreachable: a just_ask cascade has nothing to calibrate, so nothing is called.
        using var call = _client.TrainRouter(new TrainRouterRequest { Context = context, DevSet = new DevSet(), CallKey = "cascade-1" });
        var done = (await call.ResponseStream.ReadAllAsync().ToListAsync())[^1].Done;
        var listed = Assert.Single((await _client.ListRoutersAsync(new ListRoutersRequest { Method = "api_cascade" })).Routers);
        Assert.Equal((done.RouterId, 1), (listed.RouterId, listed.Version));
        Assert.Contains("\"just_ask\"", File.ReadAllText(Path.Combine(_store, done.RouterId + ".json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_and_errors_appear_per_rpc_and_method_at_the_admin_metrics_endpoint()
    {
        await TrainAsync("key-m", [1, 0]);
        await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context() }).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context() }).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context("no_such_method") }).ResponseAsync);

        // OpenTelemetry exports every "MoCo.Router" meter in the process, so the other test classes' routers show here
        // too; none of them sends these (rpc, method, code) combinations.
        using var http = new HttpClient();
        var lines = (await http.GetStringAsync(new Uri(_host.AdminAddress, "/metrics"))).Split('\n');
        double Value(string metric, params string[] labels) => lines
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, Value("moco_router_requests_total", "rpc=\"TrainRouter\"", "method=\"api_prompt_routing\""));
        Assert.Equal(2, Value("moco_router_requests_total", "rpc=\"Route\"", "method=\"api_prompt_routing\""));
        Assert.Equal(2, Value("moco_router_request_errors_total", "rpc=\"Route\"", "code=\"FailedPrecondition\""));
        // An unknown method id is counted under one label, not under the client's text.
        Assert.Equal(1, Value("moco_router_request_errors_total", "method=\"unknown\"", "code=\"InvalidArgument\""));
        Assert.DoesNotContain(lines, l => l.Contains("no_such_method", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Requests_that_cannot_be_served_name_the_field_and_the_fix()
    {
        var unset = await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context() }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, unset.StatusCode);
        Assert.Contains("router_id", unset.Status.Detail, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context(), RouterId = "prompt-routing-0123456789abcdef" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var trained = await TrainAsync("key-3", [1, 0]);
        var other = Context();
        other.ModelNames[1] = "m-z";
        var mismatch = await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = other, RouterId = trained.RouterId }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, mismatch.StatusCode);
        Assert.Contains("m-z", mismatch.Status.Detail, StringComparison.Ordinal);

        var nudging = await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context("api_nudging") }).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, nudging.StatusCode);
        Assert.Contains("api_nudging", nudging.Status.Detail, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => _client.RouteAsync(new RouteRequest { Context = Context("text_bbmas") }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("context.method", unknown.Status.Detail, StringComparison.Ordinal);

        // api_switch_generation's Complete needs a selector: the request's selector_model_name or a stored one.
        var switching = new CompleteRequest { Context = Context("api_switch_generation") };
        switching.Inputs.Add(new RouteInput { Index = 0, Prompt = "q" });
        using var noSelector = _client.Complete(switching);
        var selectorMissing = await Assert.ThrowsAsync<RpcException>(() => noSelector.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        Assert.Equal(StatusCode.FailedPrecondition, selectorMissing.StatusCode);
        Assert.Contains("selector_model_name", selectorMissing.Status.Detail, StringComparison.Ordinal);
        switching.RouterId = "switch-generation-0123456789abcdef";
        using var unknownSelector = _client.Complete(switching);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => unknownSelector.ResponseStream.ReadAllAsync().ToListAsync().AsTask())).StatusCode);

        // Selector training has no batch_size default (methods-api.md §3): the request names it before anything is generated.
        using var switchTraining = _client.TrainRouter(new TrainRouterRequest { Context = Context("api_switch_generation"), DevSet = new DevSet(), CallKey = "k" });
        var selector = await Assert.ThrowsAsync<RpcException>(() => switchTraining.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        Assert.Equal(StatusCode.InvalidArgument, selector.StatusCode);
        Assert.Contains("context.hyperparameters.batch_size", selector.Status.Detail, StringComparison.Ordinal);

        // api_collm trains on a named set on the data path; the default one is not here, and the error says where it looked.
        using var deferralTraining = _client.TrainRouter(new TrainRouterRequest { Context = Context("api_collm"), CallKey = "k" });
        var deferral = await Assert.ThrowsAsync<RpcException>(() => deferralTraining.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        Assert.Equal(StatusCode.InvalidArgument, deferral.StatusCode);
        var violation = Assert.Single(MoCo.Hosting.Errors.MocoErrors.FieldViolations(deferral));
        Assert.Equal("context.hyperparameters.training_dataset_name", violation.Field);
        Assert.Contains("nlile/hendrycks-MATH-benchmark", violation.Description, StringComparison.Ordinal);

        using var noKey = _client.TrainRouter(new TrainRouterRequest { Context = Context(), DevSet = new DevSet() });
        var keyError = await Assert.ThrowsAsync<RpcException>(() => noKey.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        Assert.Contains("call_key", keyError.Status.Detail, StringComparison.Ordinal);
    }
}
