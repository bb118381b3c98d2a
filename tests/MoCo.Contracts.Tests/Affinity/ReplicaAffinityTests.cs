using Grpc.Core;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;

namespace MoCo.Contracts.Tests.Affinity;

public sealed class ReplicaAffinityTests
{
    private const string Base = "tiny-llama";
    private const string Merged = "merge-0123456789abcdef";

    private readonly FakeGateway _gateway = new("r-big", "r-big-2");
    private readonly ReplicaAffinity _affinity = new();
    private readonly InferenceService.InferenceServiceClient _client;

    public ReplicaAffinityTests()
    {
        _gateway.Put("r-big", Base);
        _gateway.Put("r-big-2", Base);
        _gateway.Homes[Base] = "r-big";
        _client = new InferenceService.InferenceServiceClient(_affinity.Intercept(_gateway));
    }

    private static Metadata Model(string model) => new() { { RoutingHeaders.Model, model } };

    private Task<MergeResponse> MergeAsync() => MergeCall().ResponseAsync;

    private AsyncUnaryCall<MergeResponse> MergeCall() =>
        _client.MergeAsync(new MergeRequest { OutputId = Merged, Inputs = { new MergeInput { Model = Base } } }, Model(Base));

    private async Task<string> GenerateAsync(string model)
    {
        using var call = _client.Generate(new GenerateRequest { Model = model }, Model(model));
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();
        return messages.Single().Final.Text;
    }

    [Fact]
    public async Task A_merged_model_is_pinned_to_the_replica_that_made_it_and_later_calls_naming_it_go_there()
    {
        await MergeAsync();

        Assert.Equal("r-big", _affinity.ReplicaOf(Merged));
        var headers = Model(Merged);
        var info = await _client.ModelInfoAsync(new ModelInfoRequest { Model = Merged }, headers);
        Assert.Equal(ModelOrigin.Runtime, info.Summary.Origin);
        Assert.Equal($"{Merged}@r-big", await GenerateAsync(Merged));
        Assert.Equal(["r-big", "r-big"], _gateway.Calls.Where(c => c.Model == Merged).Select(c => c.Pin));
        // The caller's metadata is left as it was: callers reuse theirs.
        Assert.Null(headers.GetValue(RoutingHeaders.Replica));
    }

    [Fact]
    public async Task Without_a_pin_a_merged_model_is_balanced_to_the_default_group_and_not_found()
    {
        await MergeAsync();
        var unpinned = new InferenceService.InferenceServiceClient(new ReplicaAffinity().Intercept(_gateway));

        var error = await Assert.ThrowsAsync<RpcException>(() => unpinned.ModelInfoAsync(new ModelInfoRequest { Model = Merged }, Model(Merged)).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Catalogue_models_are_never_pinned_and_a_pin_the_caller_sets_is_kept()
    {
        await _client.ModelInfoAsync(new ModelInfoRequest { Model = Base }, Model(Base));
        Assert.Null(_affinity.ReplicaOf(Base));

        await MergeAsync();
        await _client.ModelInfoAsync(new ModelInfoRequest { Model = Base }, new Metadata { { RoutingHeaders.Model, Merged }, { RoutingHeaders.Replica, "r-big-2" } });
        Assert.Equal("r-big-2", _gateway.Calls.Last().Pin);
    }

    [Fact]
    public async Task A_run_time_model_described_by_the_replica_that_holds_it_is_pinned_there()
    {
        _gateway.Replicas["r-big-2"]["trained-1"] = ModelOrigin.Runtime;
        _gateway.Homes["trained-1"] = "r-big-2";

        await _client.ModelInfoAsync(new ModelInfoRequest { Model = "trained-1" }, Model("trained-1"));

        Assert.Equal("r-big-2", _affinity.ReplicaOf("trained-1"));
    }

    [Fact]
    public async Task Trains_done_message_pins_the_trained_model()
    {
        using var call = _client.Train(Model(Base));
        await call.RequestStream.WriteAsync(new TrainRequest { Job = new TrainJob { BaseModel = Base, OutputId = "trained-2" } });
        await call.RequestStream.CompleteAsync();
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal("trained-2", messages[^1].Done.ModelId);
        Assert.Equal("r-big", _affinity.ReplicaOf("trained-2"));
    }

    private async Task<TrainDone> TrainOnAsync(string baseModel, string output)
    {
        using var call = _client.Train(Model(baseModel));
        await call.RequestStream.WriteAsync(new TrainRequest { Job = new TrainJob { BaseModel = baseModel, OutputId = output } });
        await call.RequestStream.CompleteAsync();
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();
        return messages[^1].Done;
    }

    [Fact]
    public async Task A_train_whose_base_was_lost_runs_again_once_the_base_is_rebuilt_and_only_when_asked()
    {
        var rebuilds = 0;
        using var scope = _affinity.OpenScope();
        scope.Register(Merged, async _ =>
        {
            rebuilds++;
            await MergeAsync();
        });
        await MergeAsync();
        _gateway.Drop("r-big");
        _gateway.Homes[Base] = "r-big-2";

        // The interceptor cannot replay a duplex stream: alone, the call fails as it is.
        var lost = await Assert.ThrowsAsync<RpcException>(() => TrainOnAsync(Merged, "trained-3"));
        Assert.Equal(StatusCode.NotFound, lost.StatusCode);
        Assert.Equal(0, rebuilds);

        var done = await scope.RepeatAfterRebuildAsync(Merged, () => TrainOnAsync(Merged, "trained-3"), CancellationToken.None);

        Assert.Equal("trained-3", done.ModelId);
        Assert.Equal(1, rebuilds);
        Assert.True(_gateway.Holds("r-big-2", "trained-3"));
        Assert.Equal("r-big-2", _affinity.ReplicaOf("trained-3"));
    }

    [Fact]
    public async Task A_repeated_call_whose_lost_model_nobody_registered_fails_as_it_is()
    {
        using var scope = _affinity.OpenScope();
        await MergeAsync();
        _gateway.Drop("r-big");
        _gateway.Homes[Base] = "r-big-2";
        var calls = 0;

        var lost = await Assert.ThrowsAsync<RpcException>(() => scope.RepeatAfterRebuildAsync(Merged, () =>
        {
            calls++;
            return TrainOnAsync(Merged, "trained-4");
        }, CancellationToken.None));

        Assert.Equal(StatusCode.NotFound, lost.StatusCode);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Calls_that_lose_a_model_share_one_rebuild_and_are_repeated_on_the_new_replica()
    {
        var gate = new TaskCompletionSource();
        var rebuilds = 0;
        using var scope = _affinity.OpenScope();
        scope.Register(Merged, async token =>
        {
            Interlocked.Increment(ref rebuilds);
            await gate.Task;
            await MergeAsync();
        });
        await MergeAsync();
        // The replica leaves the rotation; its group now balances to the second one.
        _gateway.Drop("r-big");
        _gateway.Homes[Base] = "r-big-2";

        // All four fail while the first one's rebuild waits, and join it.
        var calls = Enumerable.Range(0, 4).Select(_ => GenerateAsync(Merged)).ToList();
        gate.SetResult();
        var answers = await Task.WhenAll(calls);

        Assert.All(answers, a => Assert.Equal($"{Merged}@r-big-2", a));
        Assert.Equal(1, rebuilds);
        Assert.Equal(2, _gateway.Merges);
        Assert.Equal("r-big-2", _affinity.ReplicaOf(Merged));
        var info = await _client.ModelInfoAsync(new ModelInfoRequest { Model = Merged }, Model(Merged));
        Assert.Equal(Merged, info.Summary.Id);
    }

    [Fact]
    public async Task A_lost_model_nobody_can_rebuild_stays_not_found_and_a_closed_scope_rebuilds_nothing()
    {
        var scope = _affinity.OpenScope();
        scope.Register(Merged, token => MergeAsync());
        scope.Dispose();
        await MergeAsync();
        _gateway.Drop("r-big");

        var error = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(Merged));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(1, _gateway.Merges);
    }

    [Fact]
    public async Task A_rebuild_that_first_asks_whether_its_model_exists_is_told_not_found_rather_than_waiting_for_itself()
    {
        // As Train's rebuild does: probe the trained id, make it only when it is missing.
        using var scope = _affinity.OpenScope();
        var probes = new List<StatusCode>();
        scope.Register(Merged, async token =>
        {
            var probe = await Record.ExceptionAsync(() => _client.ModelInfoAsync(new ModelInfoRequest { Model = Merged }, Model(Merged)).ResponseAsync);
            probes.Add(Assert.IsType<RpcException>(probe).StatusCode);
            await MergeAsync();
        });
        await MergeAsync();
        _gateway.Drop("r-big");
        _gateway.Homes[Base] = "r-big-2";

        var answer = await GenerateAsync(Merged).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal($"{Merged}@r-big-2", answer);
        Assert.Equal([StatusCode.NotFound], probes);
    }

    [Fact]
    public async Task A_stream_that_fails_after_its_first_message_is_not_repeated()
    {
        using var scope = _affinity.OpenScope();
        scope.Register(Merged, token => MergeAsync());
        await MergeAsync();
        _gateway.FailAfterFirst = true;

        using var call = _client.Generate(new GenerateRequest { Model = Merged }, Model(Merged));
        Assert.True(await call.ResponseStream.MoveNext(default));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(default));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(1, _gateway.Merges);
    }

    [Fact]
    public async Task The_model_a_not_found_names_is_the_one_rebuilt_even_when_the_call_is_routed_by_another()
    {
        // A merge whose first input is a catalogue model and whose second, a run-time model, was lost.
        using var scope = _affinity.OpenScope();
        scope.Register(Merged, token => MergeAsync());
        await MergeAsync();
        _gateway.Replicas["r-big"].TryRemove(Merged, out _);

        var response = await _client.MergeAsync(new MergeRequest
        {
            OutputId = "merge-second",
            Inputs = { new MergeInput { Model = Base }, new MergeInput { Model = Merged } },
        }, Model(Base));

        // The first merge, the one that failed, the rebuild of its second input, and the repeat.
        Assert.Equal("merge-second", response.ModelId);
        Assert.Equal(4, _gateway.Merges);
    }

    [Fact]
    public async Task Errors_other_than_a_missing_model_pass_untouched()
    {
        using var scope = _affinity.OpenScope();
        scope.Register(Merged, token => MergeAsync());

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.TokenizeAsync(new TokenizeRequest { Model = Merged }, Model(Merged)).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal(0, _gateway.Merges);
    }
}
