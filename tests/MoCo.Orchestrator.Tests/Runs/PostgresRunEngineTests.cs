using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Runs;

/// <summary>A whole run engine over the PostgreSQL store: what SQLite gives a run (config-and-cli.md §5.2), PostgreSQL
/// gives it too.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRunEngineTests(PostgresServer server, EngineHarness harness) : IClassFixture<EngineHarness>
{
    [SkippableFact]
    public async Task A_run_killed_mid_phase_resumes_from_postgres_to_the_log_of_an_uninterrupted_sqlite_run()
    {
        const int limit = 6;
        var config = EngineHarness.Config("text_majority_vote", "\"m-a\", \"m-b\", \"m-c\"");
        await using var postgres = await PostgresRunStore.OpenAsync(await server.NewDatabaseAsync());
        var (sqliteEngine, _) = await harness.EngineAsync(new ScriptedBackend());
        var clean = await sqliteEngine.StartAsync(harness.Start(config, limit), _ => { }, default);

        var backend = new ScriptedBackend { CancelAfter = 7 };
        var engine = harness.Engine(backend, postgres);
        using var kill = new CancellationTokenSource();
        backend.Kill = kill;
        var killed = await engine.StartAsync(harness.Start(config, limit), _ => { }, kill.Token);
        Assert.Equal(RunState.Cancelled, (await postgres.GetRunAsync(killed.RunId))!.StoredStatus);

        backend.CancelAfter = null;
        var resumed = await engine.ResumeAsync(new RunResume(killed.RunId, null, false, harness.LogDirectory, new LogWriteOptions(), false), _ => { }, default);
        Assert.Equal(RunState.Succeeded, resumed.Status);
        // Every call ran exactly once over both executions, and the stored run reads back as finished.
        var calls = backend.CallKeys.ToList();
        Assert.Equal(3 * limit, calls.Distinct().Count());
        Assert.Equal(3 * limit, calls.Count);
        Assert.Equal(limit, (await postgres.GetItemsAsync(killed.RunId, "test")).Count(i => i.Split == "test"));
        Assert.Equal(clean.Score, resumed.Score);
        Assert.Equal(EngineHarness.ReferencePart(harness.ReadRunLog(clean.RunId)).ToJsonString(),
            EngineHarness.ReferencePart(harness.ReadRunLog(resumed.RunId)).ToJsonString());
    }
}
