using System.Text.Json.Nodes;
using MoCo.Cli.Embedded;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Runs;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>
/// An embedded run whose models are placed on several devices (config-and-cli.md §2.3): an inference replica per
/// device behind a loopback gateway, each model's calls on its own replica. CI has no GPU, so the two "devices" are
/// two CPU replicas; what is checked is the routing and that the answers are those of one replica holding both —
/// logit fusion included, whose members then live apart and are fused over Decode streams.
/// </summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class EmbeddedReplicasTests : IDisposable
{
    private const string A = GoldenModels.Llama;
    private const string B = GoldenModels.Lora;
    private readonly GoldenModels _models = new(contextTokens: 4096);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-replicas-").FullName;

    public void Dispose()
    {
        _models.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Models_placed_apart_run_each_on_its_own_replica_and_fuse_to_what_one_replica_decodes()
    {
        var together = await RunAsync(ReplicaPlan.On("cpu"));
        var apart = await RunAsync(new ReplicaPlan([new ReplicaGroup("cpu", [A]), new ReplicaGroup("cpu", [B])]));

        Assert.Equal(3, Outputs(together.Items, "test").Count);
        Assert.Equal(Outputs(together.Items, "test"), Outputs(apart.Items, "test"));
        Assert.Equal(Outputs(together.Items, "baseline · " + B), Outputs(apart.Items, "baseline · " + B));
        // The two models differ on these items, so the fused outputs say both took part.
        Assert.NotEqual(Outputs(apart.Items, "baseline · " + A), Outputs(apart.Items, "baseline · " + B));

        // Every call of a model alone was answered by one replica (the gateway names it), and the two models' differ.
        var replicas = BaselineReplicas(apart.Calls);
        Assert.Equal([A, B], replicas.Keys.Order(StringComparer.Ordinal));
        Assert.NotEqual(replicas[A], replicas[B]);
    }

    [Fact]
    public async Task A_merge_of_models_on_two_replicas_is_made_on_one_and_answers_there()
    {
        // θ_A + 1·(θ_B − θ_A) = θ_B: the fine-tune on the second replica, its base (base_model_name) on the first.
        var apart = await RunAsync(new ReplicaPlan([new ReplicaGroup("cpu", [A]), new ReplicaGroup("cpu", [B])]), "weight_dare_ties", $"\"{B}\"",
            $", \"base_model_name\": \"{A}\"");

        Assert.Equal(3, Outputs(apart.Items, "test").Count);
        Assert.Equal(Outputs(apart.Items, "baseline · " + B), Outputs(apart.Items, "test"));
        Assert.Single(BaselineReplicas(apart.Calls).Values);
    }

    // The one replica that answered each model's baseline calls.
    private static Dictionary<string, string> BaselineReplicas(IReadOnlyList<CallTotals> calls) =>
        calls.Where(c => c.Phase == "baselines")
            .GroupBy(c => c.Model!).ToDictionary(g => g.Key, g => Assert.Single(g.SelectMany(c => c.Replicas).Distinct()));

    private Task<(List<JsonObject> Items, IReadOnlyList<CallTotals> Calls)> RunAsync(ReplicaPlan replicas) =>
        RunAsync(replicas, "logit_logit_fusion", $"\"{A}\", \"{B}\"", "");

    private async Task<(List<JsonObject> Items, IReadOnlyList<CallTotals> Calls)> RunAsync(ReplicaPlan replicas, string method, string models, string keys)
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        await using var store = await SqliteRunStore.OpenAsync(Path.Combine(_dir, name + ".db"));
        var environment = new RunEnvironment([RunEndToEndTests.DataDir], null) { ArtifactsDirectory = Path.Combine(_dir, "artifacts") };
        await using var services = await EmbeddedRunServices.StartAsync(store, environment,
            new ServeSettings { QuietLogs = true, ModelDirectories = [_models.Root] }, replicas, default);
        var config = $$$"""
            {"method": "{{{method}}}", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": [{{{models}}}],
             "hyperparameters": {"max_response_length": 8, "temperature": 0, "batch_size": 4{{{keys}}}}, "seed": 5}
            """;
        var logs = Path.Combine(_dir, "logs-" + name);
        var result = await services.Engine.StartAsync(new RunStart(config, "replicas.json", null, new RunOverrides { Limit = 3 }, logs, new LogWriteOptions(),
            WantItems: false), _ => { }, default);
        Assert.True(result.Error is null, result.Error?.Message);
        var items = File.ReadAllLines(Path.Combine(logs, "moco", result.RunId, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        return (items, await store.GetCallTotalsAsync(result.RunId));
    }

    private static List<string> Outputs(List<JsonObject> items, string phase) =>
        [.. items.Where(i => (string?)i["phase"] == phase).OrderBy(i => (int)i["index"]!).Select(i => (string)i["output"]!)];
}
