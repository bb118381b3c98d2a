using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>The collaboration-method tests' setting: three scripted models on the first <see cref="Limit"/> dev and test
/// items of agieval_tiny, with the gold letters to script the experts and to recompute scores independently.</summary>
internal sealed class TeamScenario
{
    public const int Limit = 4;
    public const string ThreeModels = "\"m-a\", \"m-b\", \"m-c\"";
    public static readonly string[] Models = ["m-a", "m-b", "m-c"];

    private TeamScenario(EngineHarness harness, List<(string Prompt, string Letter)> dev, List<(string Prompt, string Letter)> test)
    {
        Harness = harness;
        Dev = dev;
        Test = test;
    }

    public EngineHarness Harness { get; }

    public List<(string Prompt, string Letter)> Dev { get; }

    public List<(string Prompt, string Letter)> Test { get; }

    public static async Task<TeamScenario> LoadAsync(EngineHarness harness) =>
        new(harness, await harness.GoldAsync(Split.Dev, Limit), await harness.GoldAsync(Split.Test, Limit));

    /// <summary>A backend where <paramref name="experts"/> answer the items' own questions right and the others wrong.</summary>
    public TeamBackend Backend(params string[] experts) =>
        new(Dev.Concat(Test).ToDictionary(g => g.Prompt, g => g.Letter), experts);

    /// <summary>Runs <paramref name="method"/> on the three models to its end.</summary>
    public async Task<(RunResult Result, JsonObject Log, IRunStore Store)> RunAsync(TeamBackend backend, string method, string extra = "",
        ConcurrentQueue<RunEvent>? events = null)
    {
        var (engine, store) = await Harness.EngineAsync(backend);
        var result = await engine.StartAsync(Harness.Start(EngineHarness.Config(method, ThreeModels, extra), Limit), e => events?.Enqueue(e), default);
        Assert.Equal(RunState.Succeeded, result.Status);
        return (result, Harness.ReadRunLog(result.RunId), store);
    }

    /// <summary>Kills a run of <paramref name="config"/> after <paramref name="calls"/> calls, resumes it, and checks that
    /// no call ran twice and that the reference log equals an uninterrupted run's.</summary>
    public async Task KillAndResumeAsync(string method, string extra, int calls, params string[] experts)
    {
        var config = EngineHarness.Config(method, ThreeModels, extra);
        var (cleanEngine, _) = await Harness.EngineAsync(Backend(experts));
        var clean = await cleanEngine.StartAsync(Harness.Start(config, Limit), _ => { }, default);

        var backend = Backend(experts);
        backend.CancelAfter = calls;
        var (engine, _) = await Harness.EngineAsync(backend);
        using var kill = new CancellationTokenSource();
        backend.Kill = kill;
        var killed = await engine.StartAsync(Harness.Start(config, Limit), _ => { }, kill.Token);
        Assert.Equal(RunState.Cancelled, killed.Status);

        backend.CancelAfter = null;
        var resumed = await engine.ResumeAsync(new RunResume(killed.RunId, null, false, Harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false),
            _ => { }, default);
        Assert.Equal(RunState.Succeeded, resumed.Status);
        var keys = backend.Calls.Select(c => c.CallKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(clean.Score, resumed.Score);
        Assert.Equal(WithoutMoco(Harness.ReadRunLog(clean.RunId)), WithoutMoco(Harness.ReadRunLog(resumed.RunId)));
    }

    /// <summary>The letter a scripted response gives ("The answer is X. [...]").</summary>
    public static string Letter(string response) => response["The answer is ".Length..][..1];

    /// <summary>The score of <paramref name="output"/> on test item <paramref name="k"/>.</summary>
    public double Score(string output, int k) => Letter(output) == Test[k].Letter ? 1.0 : 0.0;

    /// <summary>Model <paramref name="model"/>'s answer to test item <paramref name="k"/>'s own question (round 1).</summary>
    public static string Solo(TeamBackend backend, string model, string question) =>
        backend.Of("solo").Single(c => c.Model == model && c.Prompt == question).Response;

    /// <summary>The log's entries' outputs.</summary>
    public static List<string> Outputs(JsonObject log) => [.. log["logs"]!.AsArray().Select(e => (string)e!["output"]!)];

    private static string WithoutMoco(JsonObject log)
    {
        var copy = (JsonObject)log.DeepClone();
        copy.Remove("moco");
        return copy.ToJsonString();
    }
}
