using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Methods.Weight;

/// <summary>
/// A weight method's whole world scripted in memory: every model (listed or merged) answers each item with its own id,
/// and the evaluator gives every item of a split the dev score scripted for the model whose id the answers carry. A
/// merge returns an id naming its kind and inputs, e.g. <c>Linear(m1:0.5,m2:0.5)</c>; merges, dev evaluations and
/// persisted models are counted.
/// </summary>
internal sealed class ScriptedWeightContext : IGenerationService, IEvaluationService, IMergeService, ITaskData, IRunRecorder, IScoringService, IDisposable
{
    private readonly IReadOnlyDictionary<string, double> _devScores;
    private readonly TaskSplit _dev = Split("dev");
    private readonly TaskSplit _test = Split("test");

    public ScriptedWeightContext(IReadOnlyDictionary<string, double> devScores) => _devScores = devScores;

    public List<MergeCall> Merges { get; } = [];

    /// <summary>PSO steps, in order; step k makes <c>x{k}</c> and <c>v{k}</c>.</summary>
    public List<PsoStepCall> Steps { get; } = [];

    /// <summary>The dev score of a model that is neither scripted nor a merge (e.g. a PSO step's position); null = fail.</summary>
    public Func<string, double>? ModelScore { get; init; }

    /// <summary>The folder MethodContext.ArtifactDirectory lies under.</summary>
    public string ArtifactsRoot { get; } = Path.Combine(Path.GetTempPath(), "moco-scripted-weight-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The dev score of a merge without a scripted one; null = such a merge fails the evaluation.</summary>
    public Func<MergeCall, double>? MergeScore { get; init; }

    private readonly Dictionary<string, MergeCall> _merged = new(StringComparer.Ordinal);

    /// <summary>Checkpoints of finished phases: a phase found here begins as already finished (a resumed run).</summary>
    public Dictionary<string, JsonNode> Checkpoints { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Items of each dev split scored, in order.</summary>
    public List<int> DevSplitSizes { get; } = [];

    /// <summary>The settings of every GenerateBatch's first request, in order.</summary>
    public List<GenerationSettings?> Settings { get; } = [];

    /// <summary>Models evaluated on dev, in order.</summary>
    public List<string> DevEvaluations { get; } = [];

    public List<(string Model, string Artifact)> Persisted { get; } = [];

    /// <summary>The model that answered the test split.</summary>
    public string? TestModel { get; private set; }

    public MethodContext Context(string method, IReadOnlyList<string> models, string hyperparameters = "")
    {
        var config = new JsonObject
        {
            ["method"] = method,
            ["task"] = "agieval_tiny",
            ["task_type"] = "multiple_choice",
            ["gpu_ids"] = new JsonArray(0),
            ["model_names"] = new JsonArray([.. models.Select(m => (JsonNode?)JsonValue.Create(m))]),
            ["hyperparameters"] = JsonNode.Parse("{" + hyperparameters + "}"),
        };
        var result = TestData.Validate(config.ToJsonString(), checkTask: false);
        Assert.True(result.Valid, string.Join("\n", result.Errors.Select(p => p.Format("test.json"))));
        return new MethodContext(result.Config!, "run-1", 7, this, this, this, this, this) { Merges = this, ArtifactsRoot = ArtifactsRoot };
    }

    public static string MergeId(MergeCall call) =>
        $"{call.Kind}({string.Join(",", call.Inputs.Select(i => $"{i.Model}:{i.Weight}"))}){(call.WeightsSoftmax ? "softmax" : "")}"
        + (call.BaseModel is { } b ? $" from {b}" : "") + (call.Alpha is { } a ? $" alpha {a}" : "");

    public Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(string model, IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        lock (Settings)
        {
            Settings.Add(requests.Count > 0 ? requests[0].Settings : null);
        }
        if (requests.Count > 0 && requests[0].Site.Phase.StartsWith("test", StringComparison.Ordinal))
        {
            TestModel = model;
        }
        return Task.FromResult<IReadOnlyList<GenerationResult>>([.. requests.Select(_ => new GenerationResult([model], ["stop_token"], new CallUsage(1, 1, TimeSpan.Zero)))]);
    }

    public Task<SplitScore> ScoreAsync(TaskSplit split, IReadOnlyList<string?> outputs, OutputKind kind, CancellationToken cancellationToken)
    {
        var model = outputs[0]!;
        double score;
        if (split.Name == "dev")
        {
            lock (DevEvaluations)
            {
                DevEvaluations.Add(model);
                DevSplitSizes.Add(split.Items.Count);
            }
            score = _devScores.TryGetValue(model, out var s) ? s
                : MergeScore is { } f && _merged.TryGetValue(model, out var call) ? f(call)
                : ModelScore is { } g ? g(model)
                : throw new InvalidOperationException($"no dev score scripted for {model}");
        }
        else
        {
            score = 0.25;
        }
        return Task.FromResult(new SplitScore([.. split.Items.Select(i => new ItemScore(i.Index, score, null, []))], score));
    }

    public Task<IReadOnlyList<string?>> ParseAsync(TaskSplit split, IReadOnlyList<string> outputs, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<MergedModel> MergeAsync(CallSite site, int index, MergeCall call, CancellationToken cancellationToken)
    {
        lock (Merges)
        {
            Merges.Add(call);
            var id = MergeId(call);
            _merged[id] = call;
            return Task.FromResult(new MergedModel(id, id));
        }
    }

    public Task<PsoStepResult> PsoStepAsync(CallSite site, int index, PsoStepCall call, CancellationToken cancellationToken)
    {
        lock (Steps)
        {
            Steps.Add(call);
            var k = Steps.Count - 1;
            return Task.FromResult(new PsoStepResult(new MergedModel($"x{k}", $"x{k}"), new MergedModel($"v{k}", $"v{k}")));
        }
    }

    /// <summary>Models released, in order.</summary>
    public List<string> Released { get; } = [];

    public Task ReleaseAsync(string model, CancellationToken cancellationToken)
    {
        lock (Released)
        {
            Released.Add(model);
        }
        return Task.CompletedTask;
    }

    public Task PersistAsync(string model, string artifact, CancellationToken cancellationToken)
    {
        Persisted.Add((model, artifact));
        return Task.CompletedTask;
    }

    /// <summary>Deletes what a method wrote under <see cref="ArtifactsRoot"/>.</summary>
    public void Dispose()
    {
        if (Directory.Exists(ArtifactsRoot))
        {
            Directory.Delete(ArtifactsRoot, recursive: true);
        }
    }

    public Task<TaskSplit> DevAsync(double ratio, bool includeGold, CancellationToken cancellationToken) => Task.FromResult(_dev);

    public Task<TaskSplit> TestAsync(CancellationToken cancellationToken) => Task.FromResult(_test);

    public Task<JsonNode?> BeginPhaseAsync(string name, string unit, int total, CancellationToken cancellationToken)
    {
        lock (Checkpoints)
        {
            return Task.FromResult(Checkpoints.TryGetValue(name, out var stored) ? stored.DeepClone() : null);
        }
    }

    public void Progress(string phase, int done, string? model = null)
    {
    }

    public Task<bool> ItemFinishedAsync(FinishedItem item, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task EndPhaseAsync(string name, JsonNode? checkpoint, CancellationToken cancellationToken)
    {
        if (checkpoint is not null)
        {
            lock (Checkpoints)
            {
                Checkpoints[name] = checkpoint.DeepClone();
            }
        }
        return Task.CompletedTask;
    }

    public void Warn(string message)
    {
    }

    public Task<IReadOnlyList<ScoreResult>> ScoreAsync(string model, IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    private static TaskSplit Split(string name) =>
        new(name, name, [new TaskItem(0, $"{name}-0", "Q0?", []), new TaskItem(1, $"{name}-1", "Q1?", [])], false);
}
