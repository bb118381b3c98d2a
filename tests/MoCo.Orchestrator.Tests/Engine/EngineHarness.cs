using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Evaluator;
using MoCo.Hosting;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;
using MoCo.Testing;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>A run engine over a real evaluator host (loopback, the shared datasets), a temporary SQLite store and a
/// scripted Generate (<see cref="ScriptedBackend"/>). Score points nowhere unless a test passes its own client.</summary>
public sealed class EngineHarness : IAsyncLifetime
{
    private RunningService _evaluator = null!;
    private GrpcChannel _evaluatorChannel = null!;
    private GrpcChannel _nowhere = null!;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "moco-engine-" + Guid.NewGuid().ToString("N")[..8]);

    public EvaluatorService.EvaluatorServiceClient Evaluator { get; private set; } = null!;

    public string LogDirectory => Path.Combine(Directory, "logs");

    /// <summary>MOCO_ARTIFACTS_DIR of the harness's runs: side files go to {this}/{run id}/{method}/.</summary>
    public string ArtifactsDirectory => Path.Combine(Directory, "artifacts");

    public async Task InitializeAsync()
    {
        _evaluator = await LoopbackHost.StartAsync(new EvaluatorModule(),
            ("Moco:Evaluator:DataDirectories:0", TestData.DataDir), ("Moco:Evaluator:InferenceAddress", "http://127.0.0.1:9"));
        _evaluatorChannel = GrpcChannel.ForAddress(_evaluator.GrpcAddress);
        _nowhere = GrpcChannel.ForAddress("http://127.0.0.1:9");
        Evaluator = new EvaluatorService.EvaluatorServiceClient(_evaluatorChannel);
    }

    /// <summary>A new store (one per test, so runs do not mix) and an engine over it; <paramref name="inference"/> serves
    /// Score where a test needs it (default: a client that points nowhere).</summary>
    public async Task<(RunEngine Engine, IRunStore Store)> EngineAsync(MoCo.Orchestrator.Methods.Primitives.IGenerationBackend backend, string storeName = "runs.db",
        InferenceService.InferenceServiceClient? inference = null)
    {
        var store = await SqliteRunStore.OpenAsync(Path.Combine(Directory, Guid.NewGuid().ToString("N")[..8] + storeName));
        return (Engine(backend, store, inference), store);
    }

    /// <summary>An engine over <paramref name="store"/>, which the caller owns.</summary>
    public RunEngine Engine(MoCo.Orchestrator.Methods.Primitives.IGenerationBackend backend, IRunStore store, InferenceService.InferenceServiceClient? inference = null,
        MethodRegistry? registry = null) =>
        new(store, new RunServices(backend, inference ?? new InferenceService.InferenceServiceClient(_nowhere), Evaluator),
            new RunEnvironment([TestData.DataDir], null) { HeartbeatInterval = TimeSpan.FromMilliseconds(100), ArtifactsDirectory = ArtifactsDirectory },
            registry ?? MethodRegistry.Default);

    /// <summary>The reference-format log a run wrote.</summary>
    public JsonObject ReadRunLog(string runId)
    {
        var dir = Path.Combine(LogDirectory, "moco", runId);
        var file = System.IO.Directory.GetFiles(dir, "agieval_tiny_*.json").Single();
        return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
    }

    /// <summary>The reference part of a log: what an uninterrupted run with the same seed must reproduce exactly.</summary>
    public static JsonObject ReferencePart(JsonObject log)
    {
        var copy = (JsonObject)log.DeepClone();
        copy.Remove("moco");
        return copy;
    }

    public RunStart Start(string config, int? limit = null) =>
        new(config, "test.json", null, new RunOverrides { Limit = limit }, LogDirectory, new LogWriteOptions(), WantItems: true);

    public static string Config(string method, string models, string extra = "", int seed = 7) => $$"""
        {
            // A comment: configs may carry them.
            "method": "{{method}}",
            "task": "agieval_tiny",
            "task_type": "multiple_choice",
            "gpu_ids": [0],
            "model_names": [{{models}}],
            "hyperparameters": {"max_response_length": 16, "temperature": 0.7, "top_p": 0.9, "batch_size": 4{{extra}}},
            "seed": {{seed}}
        }
        """;

    /// <summary>The formatted prompt and gold letter of the first <paramref name="limit"/> items of an agieval_tiny split,
    /// as a run with that limit sees them.</summary>
    public async Task<List<(string Prompt, string Letter)>> GoldAsync(Split split, int limit)
    {
        using var call = Evaluator.LoadDataset(new LoadDatasetRequest { Task = "agieval_tiny", Split = split, Limit = limit, IncludeGold = true, TaskType = "multiple_choice" });
        var items = new List<(string, string)>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == LoadDatasetResponse.PayloadOneofCase.Item)
            {
                items.Add((message.Item.Prompt, message.Item.Gold.Choice.Letter));
            }
        }
        return items;
    }

    public async Task DisposeAsync()
    {
        _evaluatorChannel.Dispose();
        _nowhere.Dispose();
        await _evaluator.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A store file still open on a slow runner: the temp folder is reclaimed later.
        }
    }
}
