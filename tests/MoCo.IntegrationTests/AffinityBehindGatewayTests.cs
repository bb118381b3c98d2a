using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Cli.Embedded;
using MoCo.Contracts;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Routing;
using MoCo.Hosting;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives.Grpc;
using MoCo.Orchestrator.Runs;
using MoCo.Testing;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>
/// Models made at run time behind the gateway (contracts.md §9): two inference replicas, the default group's and the
/// one whose group serves the run's model, so a merged model lives only where its inputs are, and a call naming it
/// without moco-replica lands in the default group and gets NOT_FOUND. A run through the gateway pins what it merges;
/// when the replica holding the merge dies mid-run and a new one takes its group, the run merges it again there.
/// </summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class AffinityBehindGatewayTests : IAsyncLifetime
{
    private const string Model = GoldenModels.Llama;
    private readonly GoldenModels _models = new(contextTokens: 4096);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-affinity-").FullName;
    private readonly List<RunningService> _hosts = [];
    private RunningService _default = null!;
    private RunningService _holder = null!;
    private RunningService _evaluator = null!;
    private RunningService _gateway = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _default = await InferenceAsync();
        _holder = await InferenceAsync();
        _evaluator = await StartAsync("evaluator", ("Moco:Evaluator:DataDirectories:0", RunEndToEndTests.DataDir));
        _gateway = await LoopbackHost.StartAsync(new GatewayModule(ServiceCatalog.Contracts, Options(_holder)));
        _channel = GrpcChannel.ForAddress(_gateway.GrpcAddress);
        await LoopbackCluster.UntilAsync(_gateway, [_default, _holder], healthy: true);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _gateway.DisposeAsync();
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
        _models.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_runs_merged_models_are_found_on_the_replica_that_merged_them()
    {
        var affinity = new ReplicaAffinity();

        var (result, items, calls) = await RunAsync(affinity, _ => { });

        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.Equal(3, Outputs(items, "test").Count);
        Assert.Equal(Outputs(items, "baseline · " + Model), Outputs(items, "test"));
        var merged = await RunTimeModelsAsync(_holder);
        Assert.NotEmpty(merged);
        Assert.All(merged, id => Assert.EndsWith($":{_holder.GrpcAddress.Port}", affinity.ReplicaOf(id)));
        // Without the pin the same call is balanced to the default group, which never saw the merge.
        var unpinned = new InferenceService.InferenceServiceClient(_channel);
        var lost = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
            unpinned.ModelInfoAsync(new ModelInfoRequest { Model = merged[0] }, new Grpc.Core.Metadata { { RoutingHeaders.Model, merged[0] } }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, lost.StatusCode);
        // The calls table names the replica behind every call the gateway routed: the run's model lives in the holder's group.
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.EndsWith($":{_holder.GrpcAddress.Port}", c.Replica));
    }

    [Fact]
    public async Task When_the_replica_holding_a_merge_dies_mid_run_the_merge_is_made_again_on_its_replacement()
    {
        var affinity = new ReplicaAffinity();
        RunningService? replacement = null;
        var first = _holder.GrpcAddress.Port;

        // Between the soup's merge and its test answers (no call in flight), the replica holding it dies and a new
        // one takes its group.
        var (result, items, calls) = await RunAsync(affinity, e =>
        {
            if (e.PhaseStarted?.Name == "test · generate" && replacement is null)
            {
                replacement = ReplaceHolderAsync().GetAwaiter().GetResult();
            }
        });

        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.NotNull(replacement);
        Assert.Equal(Outputs(items, "baseline · " + Model), Outputs(items, "test"));
        var rebuilt = Assert.Single(await RunTimeModelsAsync(replacement));
        Assert.EndsWith($":{replacement.GrpcAddress.Port}", affinity.ReplicaOf(rebuilt));
        // The calls table tells the two replicas apart: every call before the test answers came from the first, the test
        // answers and everything after them from the replacement.
        var switched = calls.FindIndex(c => c.Phase.StartsWith("test", StringComparison.Ordinal));
        Assert.True(switched > 0, string.Join("; ", calls));
        Assert.All(calls.Take(switched), c => Assert.EndsWith($":{first}", c.Replica));
        Assert.All(calls.Skip(switched), c => Assert.EndsWith($":{replacement.GrpcAddress.Port}", c.Replica));
    }

    [Fact]
    public async Task When_the_replica_holding_a_trained_router_dies_mid_run_the_router_is_trained_again_on_its_replacement()
    {
        var affinity = new ReplicaAffinity();
        RunningService? replacement = null;
        var config = $$"""
            {"method": "api_trained_router", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": ["{{Model}}", "{{GoldenModels.Lora}}"],
             "hyperparameters": {"max_response_length": 8, "temperature": 0, "batch_size": 4, "router_base_model": "{{Model}}",
                                 "reward_model_name": "{{GoldenModels.Reward}}"}, "seed": 5}
            """;

        var steps = 0;
        var (result, items, _) = await RunAsync(affinity, config, e =>
        {
            steps += e.Progress is { Phase: "dev · train router", Done: > 0 } ? 1 : 0;
            if (e.PhaseStarted?.Name == "test · route" && replacement is null)
            {
                replacement = ReplaceHolderAsync().GetAwaiter().GetResult();
            }
        });

        Assert.Equal(RunState.Succeeded, result.Status);
        // The training reported its optimizer steps to the run.
        Assert.True(steps > 0, "the router's training reported no step");
        Assert.NotNull(replacement);
        Assert.Equal(3, Outputs(items, "test").Count);
        var retrained = Assert.Single(await RunTimeModelsAsync(replacement));
        Assert.StartsWith("trained-", retrained, StringComparison.Ordinal);
        Assert.EndsWith($":{replacement.GrpcAddress.Port}", affinity.ReplicaOf(retrained));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task When_the_replica_holding_a_router_the_router_service_trained_dies_Route_trains_it_again_on_its_replacement(bool routerRestarts)
    {
        (string, string?)[] settings = [("Moco:Router:InferenceAddress", _gateway.GrpcAddress.ToString()),
            ("Moco:Router:EvaluatorAddress", _evaluator.GrpcAddress.ToString()), ("Moco:Router:StoreDirectory", Path.Combine(_dir, "routers"))];
        var router = await StartAsync("router", settings);
        var channel = GrpcChannel.ForAddress(router.GrpcAddress);
        var client = new RouterService.RouterServiceClient(channel);
        var context = new RouterContext { Method = "api_trained_router", Seed = 7, RunId = "serve", Phase = "serve" };
        context.ModelNames.AddRange([Model, GoldenModels.Lora]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["router_base_model"] = Value.ForString(Model),
                ["reward_model_name"] = Value.ForString(GoldenModels.Reward),
                ["model_descriptions"] = Value.ForList(Value.ForString("the base"), Value.ForString("the fine-tune")),
                ["max_response_length"] = Value.ForNumber(8),
                ["temperature"] = Value.ForNumber(0),
            },
        };
        var dev = new DevSet();
        dev.Inputs.Add(new DevInput { Index = 0, Prompt = "What is 2 + 2?", Scores = { 1, 0 } });
        dev.Inputs.Add(new DevInput { Index = 1, Prompt = "Name a colour.", Scores = { 0, 1 } });
        dev.Inputs.Add(new DevInput { Index = 2, Prompt = "Say hello.", Scores = { 1, 1 }, Outputs = { "Hello.", "Hi!" } });
        using var train = client.TrainRouter(new TrainRouterRequest { Context = context, DevSet = dev, CallKey = "affinity-router" });
        var done = (await train.ResponseStream.ReadAllAsync().ToListAsync())[^1].Done;
        Assert.Contains(done.Artifact, await RunTimeModelsAsync(_holder));
        var route = new RouteRequest { Context = context, RouterId = done.RouterId };
        route.Inputs.AddRange(new[] { "In Norland, which town is Aren Frost from?", "What is 3 + 4?" }.Select((p, i) => new RouteInput { Index = i, Prompt = p }));
        var before = (await client.RouteAsync(route)).Decisions.Select(d => (d.ModelIndex, d.Reason)).ToList();
        if (routerRestarts)
        {
            // A new router process on the same store: it knows the fit only from the store's journal.
            channel.Dispose();
            await router.DisposeAsync();
            _hosts.Remove(router);
            router = await StartAsync("router", settings);
            channel = GrpcChannel.ForAddress(router.GrpcAddress);
            client = new RouterService.RouterServiceClient(channel);
        }

        var replacement = await ReplaceHolderAsync();
        var after = (await client.RouteAsync(route)).Decisions.Select(d => (d.ModelIndex, d.Reason)).ToList();
        channel.Dispose();

        // Trained again from the same job and seed: the same model, the same decisions, now on the new replica.
        Assert.Equal(before, after);
        Assert.Contains(done.Artifact, await RunTimeModelsAsync(replacement));
    }

    private async Task<RunningService> ReplaceHolderAsync()
    {
        await _holder.DisposeAsync();
        _hosts.Remove(_holder);
        var replacement = await InferenceAsync();
        _gateway.App.Services.GetRequiredService<GatewayProxyConfig>().Update(Options(replacement));
        await LoopbackCluster.UntilAsync(_gateway, [replacement], healthy: true);
        return replacement;
    }

    private Task<(RunResult Result, List<JsonObject> Items, List<StoredCallRow> Calls)> RunAsync(ReplicaAffinity affinity, Action<RunEvent> emit) => RunAsync(affinity, $$"""
        {"method": "weight_greedy_soup", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
         "model_names": ["{{Model}}", "{{Model}}"],
         "hyperparameters": {"max_response_length": 8, "temperature": 0, "batch_size": 4}, "seed": 5}
        """, emit);

    private async Task<(RunResult Result, List<JsonObject> Items, List<StoredCallRow> Calls)> RunAsync(ReplicaAffinity affinity, string config, Action<RunEvent> emit)
    {
        var database = Path.Combine(_dir, Guid.NewGuid().ToString("N")[..8] + ".db");
        await using var store = await SqliteRunStore.OpenAsync(database);
        using var evaluator = GrpcChannel.ForAddress(_evaluator.GrpcAddress);
        var inference = new InferenceService.InferenceServiceClient(affinity.Intercept(_channel));
        var services = new RunServices(new GrpcGenerationBackend(inference), inference, new EvaluatorService.EvaluatorServiceClient(evaluator)) { Affinity = affinity };
        var engine = new RunEngine(store, services, new RunEnvironment([RunEndToEndTests.DataDir], null)
        {
            Mode = "server",
            ArtifactsDirectory = Path.Combine(_dir, "artifacts"),
        }, MethodRegistry.Default);
        var logs = Path.Combine(_dir, "logs-" + Guid.NewGuid().ToString("N")[..8]);
        var result = await engine.StartAsync(new RunStart(config, "affinity.json", null, new RunOverrides { Limit = 3 }, logs, new LogWriteOptions(), WantItems: false),
            emit, default);
        Assert.True(result.Error is null, result.Error?.Message);
        var itemsFile = Path.Combine(logs, "moco", result.RunId, "items.jsonl");
        return (result, [.. File.ReadAllLines(itemsFile).Select(l => JsonNode.Parse(l)!.AsObject())], await CallsAsync(database, result.RunId));
    }

    private sealed record StoredCallRow(string Phase, string Kind, string? Replica);

    // The run's rows of the calls table, read as an operator would (the store's API looks calls up by key only).
    private static async Task<List<StoredCallRow>> CallsAsync(string database, string runId)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT phase, kind, replica FROM calls WHERE run_id = $run ORDER BY rowid";
        command.Parameters.AddWithValue("$run", runId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<StoredCallRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredCallRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        return rows;
    }

    private static async Task<List<string>> RunTimeModelsAsync(RunningService replica)
    {
        using var channel = GrpcChannel.ForAddress(replica.GrpcAddress);
        var models = await new InferenceService.InferenceServiceClient(channel).ListModelsAsync(new ListModelsRequest());
        return [.. models.Models.Where(m => m.Origin == ModelOrigin.Runtime).Select(m => m.Id)];
    }

    private static List<string> Outputs(List<JsonObject> items, string phase) =>
        [.. items.Where(i => (string?)i["phase"] == phase).OrderBy(i => (int)i["index"]!).Select(i => (string)i["output"]!)];

    // The default group has one replica and lists no model; the group of the run's model has the other.
    private GatewayOptions Options(RunningService holder)
    {
        var options = new GatewayOptions();
        options.Inference.Groups["default"] = new ReplicaGroupOptions { Replicas = [new ReplicaOptions(_default.GrpcAddress, _default.AdminAddress)] };
        options.Inference.Groups["golden"] = new ReplicaGroupOptions
        {
            Models = [Model, GoldenModels.Lora, GoldenModels.Reward],
            Replicas = [new ReplicaOptions(holder.GrpcAddress, holder.AdminAddress)],
        };
        options.Evaluator.Replicas.Add(new ReplicaOptions(_evaluator.GrpcAddress, _evaluator.AdminAddress));
        options.HealthChecks.Interval = TimeSpan.FromMilliseconds(200);
        options.HealthChecks.Timeout = TimeSpan.FromSeconds(1);
        return options;
    }

    // Each replica trains into its own folder, as on separate machines (replicas of one host share the temp folder).
    private Task<RunningService> InferenceAsync() => StartAsync("inference", ("Moco:Inference:ModelDirectories:0", _models.Root),
        ("Moco:Inference:TrainedModelsDirectory", Directory.CreateDirectory(Path.Combine(_dir, "trained-" + Guid.NewGuid().ToString("N")[..8])).FullName));

    private async Task<RunningService> StartAsync(string service, params (string Key, string? Value)[] settings)
    {
        var host = await LoopbackHost.StartAsync(ServiceCatalog.Create(service), settings);
        _hosts.Add(host);
        return host;
    }
}
