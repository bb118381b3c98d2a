using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Tests.Engine;

public sealed class RunEngineTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;
    private const string ThreeModels = "\"m-a\", \"m-b\", \"m-c\"";

    [Fact]
    public async Task Single_model_scores_the_test_split_streams_progress_and_stores_every_item()
    {
        var backend = new ScriptedBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var events = new ConcurrentQueue<RunEvent>();
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("single_model", "\"m-a\""), Limit), events.Enqueue, default);

        Assert.Equal(RunState.Succeeded, result.Status);
        var gold = await harness.GoldAsync(Split.Test, Limit);
        var expected = gold.Average(g => ScriptedBackend.Letter("m-a", g.Prompt) == g.Letter ? 1.0 : 0.0);
        Assert.Equal(expected, result.Score!.Value, 9);
        Assert.Equal(Limit, backend.CallKeys.Count);

        var types = events.Select(e => e.TypeCase).ToList();
        Assert.Equal(RunEvent.TypeOneofCase.RunStarted, types[0]);
        Assert.Equal(RunEvent.TypeOneofCase.RunFinished, types[^1]);
        Assert.Contains(events, e => e.PhaseStarted?.Name == "test · generate" && e.PhaseStarted.Total == Limit);
        Assert.Contains(events, e => e.Progress is { Phase: "test · generate" } p && p.Done == Limit && p.Total == Limit);
        Assert.Contains(events, e => e.PhaseFinished?.Name == "test · generate" && e.PhaseFinished.CompletionTokens == 5 * Limit);
        Assert.Equal(Limit, events.Count(e => e.ItemFinished is { Phase: "test" }));
        Assert.All(events, e => Assert.Equal(result.RunId, e.RunId));

        var items = await store.GetItemsAsync(result.RunId, "test");
        Assert.Equal(Limit, items.Count);
        // The reasoning before </think> is dropped (moco mode).
        Assert.All(items, i => Assert.StartsWith("The answer is", i.Output));
        var run = await store.GetRunAsync(result.RunId);
        Assert.Equal(RunState.Succeeded, run!.StoredStatus);
        Assert.Equal(expected, run.TestScore!.Value, 9);
        Assert.Null(run.Owner);
    }

    [Fact]
    public async Task Majority_vote_outputs_the_plurality_answer_and_scores_it()
    {
        var (engine, store) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("text_majority_vote", ThreeModels), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        var gold = await harness.GoldAsync(Split.Test, Limit);
        var log = harness.ReadRunLog(result.RunId);
        var entries = log["logs"]!.AsArray();
        Assert.Equal(Limit, entries.Count);
        var total = 0.0;
        for (var k = 0; k < Limit; k++)
        {
            // Independent vote: count the letters the scripted models give; the output must be a most common one.
            var letters = new[] { "m-a", "m-b", "m-c" }.Select(m => ScriptedBackend.Letter(m, gold[k].Prompt)).ToList();
            var counts = letters.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
            var output = (string)entries[k]!["output"]!;
            Assert.Equal(counts.Values.Max(), counts[output]);
            Assert.Equal(letters, entries[k]!["raw_output"]!.AsArray().Select(n => (string)n!).ToList());
            var score = output == gold[k].Letter ? 1.0 : 0.0;
            Assert.Equal(score, (double)entries[k]!["score"]!);
            total += score;
        }
        Assert.Equal(total / Limit, result.Score!.Value, 9);
        // Baselines come from the models' own outputs, scored raw.
        foreach (var model in new[] { "m-a", "m-b", "m-c" })
        {
            var expected = gold.Average(g => ScriptedBackend.Letter(model, g.Prompt) == g.Letter ? 1.0 : 0.0);
            Assert.Equal(expected, result.Baselines.Single(b => b.Model == model).Test, 9);
        }
        foreach (var model in new[] { "m-a", "m-b", "m-c" })
        {
            Assert.Equal(Limit, (await store.GetItemsAsync(result.RunId, "baseline · " + model)).Count);
        }
    }

    [Fact]
    public async Task Identical_models_vote_their_own_answer()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("text_majority_vote", "\"m-a\", \"m-a\", \"m-a\""), Limit), _ => { }, default);
        var gold = await harness.GoldAsync(Split.Test, Limit);
        var entries = harness.ReadRunLog(result.RunId)["logs"]!.AsArray();
        for (var k = 0; k < Limit; k++)
        {
            Assert.Equal(ScriptedBackend.Letter("m-a", gold[k].Prompt), (string)entries[k]!["output"]!);
        }
        Assert.Equal(result.Baselines.Single().Test, result.Score!.Value, 9);
    }

    [Fact]
    public async Task A_run_killed_mid_phase_resumes_without_redoing_or_losing_calls_and_ends_as_an_uninterrupted_run()
    {
        var config = EngineHarness.Config("text_majority_vote", ThreeModels);
        var (cleanEngine, _) = await harness.EngineAsync(new ScriptedBackend());
        var clean = await cleanEngine.StartAsync(harness.Start(config, Limit), _ => { }, default);

        var backend = new ScriptedBackend { CancelAfter = 7 };
        var (engine, store) = await harness.EngineAsync(backend);
        using var kill = new CancellationTokenSource();
        backend.Kill = kill;
        var killed = await engine.StartAsync(harness.Start(config, Limit), _ => { }, kill.Token);
        Assert.Equal(RunState.Cancelled, killed.Status);
        Assert.Equal(RunState.Cancelled, (await store.GetRunAsync(killed.RunId))!.StoredStatus);
        var before = backend.CallKeys.ToList();
        Assert.InRange(before.Count, 7, 3 * Limit - 1);

        backend.CancelAfter = null;
        var events = new ConcurrentQueue<RunEvent>();
        var resumed = await engine.ResumeAsync(new RunResume(killed.RunId, null, false, harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false), events.Enqueue, default);
        Assert.Equal(RunState.Succeeded, resumed.Status);
        Assert.True(events.First().RunStarted.Resumed);

        // Every call ran exactly once over both executions: none redone, none lost.
        var all = backend.CallKeys.ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(3 * Limit, all.Count);
        Assert.Equal(clean.Score, resumed.Score);
        Assert.Equal(EngineHarness.ReferencePart(harness.ReadRunLog(clean.RunId)).ToJsonString(), EngineHarness.ReferencePart(harness.ReadRunLog(resumed.RunId)).ToJsonString());
    }

    [Fact]
    public async Task Cancel_by_reference_stops_a_run_and_marks_it_cancelled()
    {
        var backend = new ScriptedBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var started = new TaskCompletionSource<string>();
        var running = engine.StartAsync(harness.Start(EngineHarness.Config("text_majority_vote", ThreeModels), Limit), e =>
        {
            if (e.TypeCase == RunEvent.TypeOneofCase.PhaseStarted)
            {
                started.TrySetResult(e.RunId);
            }
        }, default);
        var id = await started.Task;
        await engine.CancelAsync(id[^4..], default);
        var result = await running;
        Assert.Contains(result.Status, new[] { RunState.Cancelled, RunState.Succeeded });
        Assert.Equal(result.Status, (await store.GetRunAsync(id))!.StoredStatus);
    }

    [Fact]
    public async Task The_store_cancel_flag_set_by_another_process_stops_the_run_at_its_next_heartbeat()
    {
        var (engine, store) = await harness.EngineAsync(new SlowBackend());
        var started = new TaskCompletionSource<string>();
        var running = engine.StartAsync(harness.Start(EngineHarness.Config("single_model", "\"m-a\""), Limit), e =>
        {
            if (e.TypeCase == RunEvent.TypeOneofCase.PhaseStarted)
            {
                started.TrySetResult(e.RunId);
            }
        }, default);
        var id = await started.Task;
        // `moco runs cancel` from another process only sets the flag in the store.
        await store.RequestCancelAsync(id);
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RunState.Cancelled, result.Status);
        Assert.Equal(RunState.Cancelled, (await store.GetRunAsync(id))!.StoredStatus);
    }

    [Fact]
    public async Task Resume_accepts_placement_and_throughput_changes()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("single_model", "\"m-a\""), 2), _ => { }, default);
        var changed = EngineHarness.Config("single_model", "\"m-a\"").Replace("\"batch_size\": 4", "\"batch_size\": 16").Replace("[0]", "[0, 1]");
        var resumed = await engine.ResumeAsync(new RunResume(result.RunId, changed, false, harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false),
            _ => { }, default);
        Assert.Equal(RunState.Succeeded, resumed.Status);
        Assert.Equal(result.Score, resumed.Score);
    }

    [Fact]
    public async Task The_log_files_have_the_reference_shape()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("text_majority_vote", ThreeModels), Limit), _ => { }, default);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        Assert.Equal(["input", "raw_output", "output", "score"], log["logs"]![0]!.AsObject().Select(p => p.Key).ToList());
        var runDir = Path.Combine(harness.LogDirectory, "moco", result.RunId);
        Assert.True(File.Exists(Path.Combine(runDir, "config.json")));
        Assert.Equal(Limit * 4, File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Length);
        var runJson = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!;
        Assert.Equal("succeeded", (string)runJson["status"]!);
        Assert.Equal(3, runJson["baselines"]!.AsArray().Count);
        // A --limit run is partial: no top-level reference log (config-and-cli.md §3.4).
        Assert.Null(result.ReferenceLog);
    }

    [Fact]
    public async Task Invalid_configs_and_unbuilt_methods_are_refused_before_any_run_exists()
    {
        var (engine, store) = await harness.EngineAsync(new ScriptedBackend());
        var invalid = await Assert.ThrowsAsync<RunRejectedException>(() =>
            engine.StartAsync(harness.Start(EngineHarness.Config("text_majority_vote", ThreeModels, ", \"tie\": \"coin\"")), _ => { }, default));
        Assert.Equal("CONFIG_INVALID", invalid.Code);
        Assert.Contains(invalid.Problems, p => p.Path == "hyperparameters.tie" && p.Code == "CFG004");
        // A build without api_collm (every method is built in the default registry) still validates it, then refuses it.
        var partial = harness.Engine(new ScriptedBackend(), store, registry: new MethodRegistry(new Dictionary<string, Func<ICollaborationMethod>>()));
        await Assert.ThrowsAsync<MethodNotImplementedException>(() =>
            partial.StartAsync(harness.Start(EngineHarness.Config("api_collm", "\"m-a\", \"m-b\"")), _ => { }, default));
        Assert.Empty(await store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task Resume_with_a_changed_config_is_refused_unless_forced()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("single_model", "\"m-a\""), 2), _ => { }, default);
        var changed = await Assert.ThrowsAsync<RunRejectedException>(() => engine.ResumeAsync(
            new RunResume(result.RunId, EngineHarness.Config("single_model", "\"m-b\""), false, harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false), _ => { }, default));
        Assert.Equal("RUN_CHANGED", changed.Code);
        var missing = await Assert.ThrowsAsync<RunRejectedException>(() => engine.ResumeAsync(
            new RunResume("nope", null, false, harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false), _ => { }, default));
        Assert.Equal("RUN_NOT_FOUND", missing.Code);
    }

    // Generation that waits until the run is cancelled: a run that can only end by its cancel flag.
    private sealed class SlowBackend : MoCo.Orchestrator.Methods.Primitives.IGenerationBackend
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult(model);

        public async Task<IReadOnlyList<MoCo.Orchestrator.Methods.Primitives.GeneratedSample>> GenerateAsync(
            MoCo.Orchestrator.Methods.Primitives.GenerationCall call, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable: the delay only ends by cancellation");
        }
    }
}
