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
        var services = new RunServices(backend, inference ?? new InferenceService.InferenceServiceClient(_nowhere), Evaluator);
        var engine = new RunEngine(store, services, new RunEnvironment([TestData.DataDir], null) { HeartbeatInterval = TimeSpan.FromMilliseconds(100) },
            MethodRegistry.Default);
        return (engine, store);
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
