using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>WatchRun's engine side: a watcher attaching mid-run gets run_started and the current phase states, then
/// the live events to run_finished; a run that is not executing replays from the store.</summary>
public sealed class RunWatchTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 4;

    [Fact]
    public async Task A_late_watcher_gets_run_started_and_each_phase_latest_state_then_live_events_until_run_finished()
    {
        var broadcast = new RunBroadcast();
        var started = Event(e => e.RunStarted = new RunStarted { Seed = 3 });
        var a = Event(e => e.PhaseStarted = new PhaseStarted { Name = "a", Total = 2 });
        var aProgress = Event(e => e.Progress = new Progress { Phase = "a", Done = 1, Total = 2 });
        var aFinished = Event(e => e.PhaseFinished = new PhaseFinished { Name = "a", Items = 2 });
        var b = Event(e => e.PhaseStarted = new PhaseStarted { Name = "b", Total = 5 });
        var bProgress = Event(e => e.Progress = new Progress { Phase = "b", Done = 3, Total = 5 });
        var item = Event(e => e.ItemFinished = new ItemFinished { Phase = "b", Index = 1 });
        foreach (var e in new[] { started, a, aProgress, aFinished, b, bProgress, item })
        {
            broadcast.Publish(e);
        }

        using var watcher = broadcast.Subscribe();
        var live = Event(e => e.Progress = new Progress { Phase = "b", Done = 4, Total = 5 });
        var finished = Event(e => e.RunFinished = new RunFinished { Status = RunStatus.Succeeded });
        broadcast.Publish(live);
        broadcast.Publish(finished);
        var seen = await watcher.Events.ReadAllAsync().ToListAsync();
        // The replay holds each phase's latest state only (a's progress is superseded by its finish) and no items.
        Assert.Equal([started, a, aFinished, b, bProgress, live, finished], seen);

        // After run_finished the broadcast is complete: a new watcher gets the replay, the ending and an ended stream.
        using var late = broadcast.Subscribe();
        Assert.Equal([started, a, aFinished, b, live, finished], await late.Events.ReadAllAsync().ToListAsync());
    }

    [Fact]
    public async Task Watching_a_running_run_replays_its_state_then_follows_it_to_the_end_with_items()
    {
        var backend = new GatedBackend();
        var (engine, _) = await harness.EngineAsync(backend);
        var starterEvents = new List<RunEvent>();
        var start = harness.Start(EngineHarness.Config("single_model", "\"m-a\""), Limit) with { WantItems = false };
        var running = engine.StartAsync(start, e =>
        {
            lock (starterEvents)
            {
                starterEvents.Add(e);
            }
        }, default);
        await backend.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var runId = (await engine.Store.ListRunsAsync(new RunQuery())).First().Id;

        using var watcher = await engine.WatchAsync(runId[^4..], default);
        backend.Release.SetResult();
        var seen = await watcher.Events.ReadAllAsync().ToListAsync();
        var result = await running;

        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.Equal(RunEvent.TypeOneofCase.RunStarted, seen[0].TypeCase);
        Assert.Equal("single_model", seen[0].RunStarted.Config.Method);
        Assert.Equal("test · generate", seen[1].PhaseStarted.Name);
        Assert.Equal(RunEvent.TypeOneofCase.RunFinished, seen[^1].TypeCase);
        Assert.Equal(result.Score, seen[^1].RunFinished.Score);
        Assert.Equal(Limit, seen.Count(e => e.ItemFinished is { Phase: "test" }));
        Assert.All(seen, e => Assert.Equal(runId, e.RunId));
        // The starter did not ask for items; the watcher's wish does not change what the starter gets.
        Assert.DoesNotContain(starterEvents, e => e.TypeCase == RunEvent.TypeOneofCase.ItemFinished);
    }

    [Fact]
    public async Task Watching_a_finished_run_replays_it_from_the_store()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("single_model", "\"m-a\""), Limit), _ => { }, default);
        var phases = await engine.Store.GetPhasesAsync(result.RunId);

        using var watcher = await engine.WatchAsync("last", default);
        var seen = await watcher.Events.ReadAllAsync().ToListAsync();
        Assert.Equal(RunEvent.TypeOneofCase.RunStarted, seen[0].TypeCase);
        Assert.Equal(["single_model"], [seen[0].RunStarted.Config.Method]);
        Assert.Equal(phases.Select(p => p.Name), seen.Where(e => e.PhaseStarted is not null).Select(e => e.PhaseStarted.Name));
        Assert.Equal(phases.Select(p => p.Done), seen.Where(e => e.PhaseFinished is not null).Select(e => e.PhaseFinished.Items));
        Assert.Equal(RunStatus.Succeeded, seen[^1].RunFinished.Status);
        Assert.Equal(result.Score, seen[^1].RunFinished.Score);
    }

    [Fact]
    public async Task Watching_an_unknown_run_is_refused_with_run_not_found()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => engine.WatchAsync("nope", default));
        Assert.Equal("RUN_NOT_FOUND", refused.Code);
    }

    private static RunEvent Event(Action<RunEvent> fill) => RunEvents.Create("run-1", fill);

    /// <summary>The scripted answers, held at the first call until the test releases them.</summary>
    private sealed class GatedBackend : IGenerationBackend
    {
        private readonly ScriptedBackend _answers = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => _answers.FingerprintAsync(model, cancellationToken);

        public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await _answers.GenerateAsync(call, cancellationToken).ConfigureAwait(false);
        }
    }
}
