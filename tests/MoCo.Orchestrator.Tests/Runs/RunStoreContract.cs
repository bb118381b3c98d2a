using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Tests.Runs;

/// <summary>
/// The contract every run store passes (SQLite and PostgreSQL derive this class): runs with status, ownership and
/// heartbeat, idempotent items and calls, transactions that vanish unless committed, resume knowing what is done, run
/// references. Skippable because a store may need a server that a developer's machine lacks (see
/// PostgresRunStoreTests); SQLite never skips.
/// </summary>
public abstract class RunStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 14, 30, 12, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract Task<IRunStore> OpenAsync();

    /// <summary>The same store again, as another process (or the same after a crash) would open it.</summary>
    protected abstract Task<IRunStore> ReopenAsync();

    protected IRunStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync() => await Store.DisposeAsync();

    protected static NewRun Run(string id, DateTimeOffset? created = null, string method = "text_multiagent_refine") => new(id, "host:1", method,
        "agieval_tiny", "multiple_choice", ["a", "b"], "moco", ulong.MaxValue - 3, "{\"method\":\"x\"}", "{}", null, 12UL, "d5", "[]", "0.1.0", 1,
        "embedded", created ?? T0);

    protected static ItemRecord Item(string runId, int index, string output = "B") =>
        new(runId, "test", "test", index, (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "q", output, "B", 1.0, "{\"k\":1}");

    [SkippableFact]
    public async Task A_created_run_reads_back()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        var run = await Store.GetRunAsync("20261125-143012-k7qz");
        Assert.NotNull(run);
        Assert.Equal(RunState.Running, run.StoredStatus);
        Assert.Equal(ulong.MaxValue - 3, run.Run.Seed);
        Assert.Equal(12UL, run.Run.LimitSeed);
        Assert.Equal(["a", "b"], run.Run.ModelNames);
        Assert.Equal(T0, run.Run.CreatedAt);
        Assert.Equal(64, run.ConfigSha256.Length);
        Assert.Null(await Store.GetRunAsync("20261125-143012-zzzz"));
    }

    [SkippableFact]
    public async Task A_taken_id_cannot_be_created_twice()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.CreateRunAsync(Run("20261125-143012-k7qz")));
    }

    [SkippableFact]
    public async Task Items_are_idempotent_and_conflicts_are_detected()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        await using (var batch = await Store.BeginBatchAsync())
        {
            Assert.Equal(PutOutcome.Inserted, await batch.PutItemAsync(Item("20261125-143012-k7qz", 0)));
            Assert.Equal(PutOutcome.Duplicate, await batch.PutItemAsync(Item("20261125-143012-k7qz", 0)));
            Assert.Equal(PutOutcome.Conflict, await batch.PutItemAsync(Item("20261125-143012-k7qz", 0, output: "C")));
            await batch.CommitAsync();
        }
        var item = Assert.Single(await Store.GetItemsAsync("20261125-143012-k7qz"));
        Assert.Equal("B", item.Output);
        Assert.Equal("{\"k\":1}", item.ExtrasJson);
    }

    [SkippableFact]
    public async Task Calls_are_idempotent_by_key()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        var call = new CallRecord("20261125-143012-k7qz", "abc", "test", "generate", 0, "test/0", 0, "{\"text\":\"x\"}", 10, 5, 100, Model: "a");
        await using (var batch = await Store.BeginBatchAsync())
        {
            Assert.Equal(PutOutcome.Inserted, await batch.PutCallAsync(call));
            Assert.Equal(PutOutcome.Duplicate, await batch.PutCallAsync(call));
            Assert.Equal(PutOutcome.Conflict, await batch.PutCallAsync(call with { ResultJson = "{}" }));
            await batch.CommitAsync();
        }
        Assert.Equal(call, await Store.GetCallAsync("20261125-143012-k7qz", "abc"));
        Assert.Null(await Store.GetCallAsync("20261125-143012-k7qz", "nope"));
    }

    [SkippableFact]
    public async Task Call_totals_group_a_runs_calls_by_phase_model_and_kind_with_their_replicas()
    {
        const string run = "20261125-143012-k7qz", other = "20261125-150000-bbbb";
        await Store.CreateRunAsync(Run(run));
        await Store.CreateRunAsync(Run(other));
        await using (var batch = await Store.BeginBatchAsync())
        {
            await batch.PutCallAsync(new CallRecord(run, "k1", "dev", "generate", 0, "dev/0", 0, "{}", 10, 5, 100, "r1", "a"));
            await batch.PutCallAsync(new CallRecord(run, "k2", "dev", "generate", 0, "dev/1", 0, "{}", 20, 7, 300, "r2", "a"));
            await batch.PutCallAsync(new CallRecord(run, "k3", "dev", "generate", 0, "dev/2", 0, "{}", 1, 1, 1, "r1", "a"));
            await batch.PutCallAsync(new CallRecord(run, "k4", "test", "generate", -1, "test/0", 0, "{}", 4, 2, 50, null, "ensemble of a, b"));
            await batch.PutCallAsync(new CallRecord(run, "k5", "test", "score", 1, "test/0", 0, "{}", 3, 0, 10, "r1", "b"));
            // Stored before calls kept their model: only the index says which.
            await batch.PutCallAsync(new CallRecord(run, "k6", "test", "generate", 1, "test/1", 0, "{}", 6, 6, 60, "r3"));
            await batch.PutCallAsync(new CallRecord(other, "k1", "dev", "generate", 0, "dev/0", 0, "{}", 99, 99, 999, "r9", "a"));
            await batch.CommitAsync();
        }

        var totals = await Store.GetCallTotalsAsync(run);

        Assert.Equal(
        [
            ("dev", "a", 0, "generate", 3L, 31L, 13L, 401L, "r1,r2"),
            ("test", null, 1, "generate", 1L, 6L, 6L, 60L, "r3"),
            ("test", "b", 1, "score", 1L, 3L, 0L, 10L, "r1"),
            ("test", "ensemble of a, b", -1, "generate", 1L, 4L, 2L, 50L, ""),
        ], totals.Select(t => (t.Phase, t.Model, t.ModelIndex, t.Kind, t.Calls, t.PromptTokens, t.CompletionTokens, t.LatencyMs, string.Join(",", t.Replicas))));
        Assert.Empty(await Store.GetCallTotalsAsync("20261125-160000-cccc"));
    }

    [SkippableFact]
    public async Task A_call_is_found_by_key_in_another_run_the_oldest_first_never_in_the_asking_run()
    {
        string[] runs = ["20261125-143012-aaaa", "20261125-150000-bbbb", "20261125-160000-cccc"];
        foreach (var id in runs)
        {
            await Store.CreateRunAsync(Run(id));
        }
        await using (var batch = await Store.BeginBatchAsync())
        {
            // Inserted newest first: the oldest run's answer wins by id, not by insertion order.
            foreach (var id in runs[..2].Reverse())
            {
                await batch.PutCallAsync(new CallRecord(id, "shared", "test", "generate", 0, "test/0", 0, $"{{\"from\":\"{id}\"}}", 10, 5, 100, "r1"));
            }
            await batch.PutCallAsync(new CallRecord(runs[1], "mine", "test", "generate", 0, "test/1", 0, "{}", 1, 1, 1));
            await batch.CommitAsync();
        }
        var found = await Store.FindCallAsync("shared", runs[2]);
        Assert.Equal(new CallRecord(runs[0], "shared", "test", "generate", 0, "test/0", 0, $"{{\"from\":\"{runs[0]}\"}}", 10, 5, 100, "r1"), found);
        Assert.Equal(runs[1], (await Store.FindCallAsync("shared", runs[0]))!.RunId);
        Assert.Null(await Store.FindCallAsync("mine", runs[1]));
        Assert.Null(await Store.FindCallAsync("other", runs[2]));
    }

    [SkippableFact]
    public async Task A_crash_mid_write_loses_only_the_uncommitted_batch_and_resume_lists_the_done_items()
    {
        const string id = "20261125-143012-k7qz";
        await Store.CreateRunAsync(Run(id));
        await using (var batch = await Store.BeginBatchAsync())
        {
            await batch.PutItemAsync(Item(id, 0));
            await batch.PutItemAsync(Item(id, 1));
            await batch.CommitAsync();
        }
        // The crash: a batch written but never committed, then the process goes away.
        var pending = await Store.BeginBatchAsync();
        await pending.PutItemAsync(Item(id, 2));
        await pending.PutCheckpointAsync(id, "test", "state", "{\"half\":true}");
        await pending.DisposeAsync();
        await Store.DisposeAsync();

        Store = await ReopenAsync();
        var done = await Store.GetItemsAsync(id, "test");
        Assert.Equal([0, 1], done.Select(i => i.Index).ToArray());
        Assert.Null(await Store.GetCheckpointAsync(id, "test", "state"));
        await using (var resume = await Store.BeginBatchAsync())
        {
            // A resumed run replays item 1 (stored) and writes item 2 (missing).
            Assert.Equal(PutOutcome.Duplicate, await resume.PutItemAsync(Item(id, 1)));
            Assert.Equal(PutOutcome.Inserted, await resume.PutItemAsync(Item(id, 2)));
            await resume.CommitAsync();
        }
        Assert.Equal(3, (await Store.GetItemsAsync(id)).Count);
    }

    [SkippableFact]
    public async Task Phases_and_checkpoints_round_trip()
    {
        const string id = "20261125-143012-k7qz";
        await Store.CreateRunAsync(Run(id));
        await using (var batch = await Store.BeginBatchAsync())
        {
            await batch.PutPhaseAsync(id, new PhaseRecord("dev · generate", "running", 40, 0, T0, null, 0, 0));
            await batch.PutPhaseAsync(id, new PhaseRecord("test · generate", "running", 40, 0, T0.AddSeconds(5), null, 0, 0));
            await batch.PutPhaseAsync(id, new PhaseRecord("dev · generate", "finished", 40, 40, T0, T0.AddSeconds(4), 100, 200));
            await batch.PutCheckpointAsync(id, "dev · generate", "scores", "[0.5]");
            await batch.PutCheckpointAsync(id, "dev · generate", "scores", "[0.6]");
            await batch.CommitAsync();
        }
        var phases = await Store.GetPhasesAsync(id);
        Assert.Equal(["dev · generate", "test · generate"], phases.Select(p => p.Name).ToArray());
        Assert.Equal(("finished", 40, 200L), (phases[0].Status, phases[0].Done, phases[0].CompletionTokens));
        Assert.Equal(T0.AddSeconds(4), phases[0].FinishedAt);
        Assert.Equal("[0.6]", await Store.GetCheckpointAsync(id, "dev · generate", "scores"));
    }

    [SkippableFact]
    public async Task Ownership_heartbeat_cancel_and_finish()
    {
        const string id = "20261125-143012-k7qz";
        await Store.CreateRunAsync(Run(id));
        Assert.False(await Store.TryTakeOwnershipAsync(id, "other:2", T0.AddSeconds(10)));
        Assert.True(await Store.TryTakeOwnershipAsync(id, "host:1", T0.AddSeconds(10)));
        Assert.False(await Store.HeartbeatAsync(id, "host:1", T0.AddSeconds(15)));
        var live = (await Store.GetRunAsync(id))!;
        Assert.Equal(RunState.Running, live.StatusAt(T0.AddSeconds(20)));
        Assert.Equal(RunState.Interrupted, live.StatusAt(T0.AddSeconds(60)));
        // A stale owner loses the run to another process.
        Assert.True(await Store.TryTakeOwnershipAsync(id, "other:2", T0.AddSeconds(60)));

        await Store.RequestCancelAsync(id);
        Assert.True(await Store.HeartbeatAsync(id, "other:2", T0.AddSeconds(61)));
        Assert.Equal(RunState.Cancelling, (await Store.GetRunAsync(id))!.StoredStatus);

        await Store.FinishRunAsync(id, RunState.Succeeded, T0.AddSeconds(90), 0.675, 40, "agieval_tiny_2_0.675_multiagent_refine.json", null, null);
        var done = (await Store.GetRunAsync(id))!;
        Assert.Equal((RunState.Succeeded, 0.675, 40), (done.StoredStatus, done.TestScore, done.TestItems));
        Assert.Null(done.Owner);
        Assert.Equal(RunState.Succeeded, done.StatusAt(T0.AddDays(1)));
    }

    [SkippableFact]
    public async Task Run_references_resolve_by_id_prefix_suffix_and_last()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz", T0));
        await Store.CreateRunAsync(Run("20261125-150000-ab12", T0.AddHours(1), method: "single_model"));
        await Store.CreateRunAsync(Run("20261126-090000-ab13", T0.AddDays(1)));
        Assert.Equal("20261125-143012-k7qz", await Store.ResolveAsync("20261125-143012-k7qz"));
        Assert.Equal("20261125-143012-k7qz", await Store.ResolveAsync("20261125-14"));
        Assert.Equal("20261125-143012-k7qz", await Store.ResolveAsync("k7qz"));
        Assert.Equal("20261126-090000-ab13", await Store.ResolveAsync("last"));
        Assert.Null(await Store.ResolveAsync("zzzz"));
        await Assert.ThrowsAsync<AmbiguousRunException>(() => Store.ResolveAsync("20261125"));

        var listed = await Store.ListRunsAsync(new RunQuery());
        Assert.Equal(["20261126-090000-ab13", "20261125-150000-ab12", "20261125-143012-k7qz"], listed.Select(r => r.Id).ToArray());
        Assert.Equal("20261125-150000-ab12", Assert.Single(await Store.ListRunsAsync(new RunQuery(Method: "single_model"))).Id);
        Assert.Equal(2, (await Store.ListRunsAsync(new RunQuery(Limit: 2))).Count);
        Assert.Equal(3, (await Store.ListRunsAsync(new RunQuery([RunState.Interrupted]))).Count);
    }
}
