namespace MoCo.Orchestrator.Runs;

/// <summary>
/// The durable run store (config-and-cli.md §5.1–5.3): runs with status, owner and heartbeat, phases, per-item outputs
/// and scores, completed calls, checkpoints and artifacts. Writes of items, calls and checkpoints are idempotent
/// (keyed; see <see cref="PutOutcome"/>) and go through <see cref="IRunWriteBatch"/> transactions, so a crash loses
/// at most an uncommitted batch. One interface for SQLite (embedded) and PostgreSQL (cluster); both pass
/// RunStoreContract in the tests.
/// </summary>
public interface IRunStore : IAsyncDisposable
{
    /// <summary>Creates a run in state running, owned by <see cref="NewRun.Owner"/>; a taken id is an error.</summary>
    Task CreateRunAsync(NewRun run, CancellationToken cancellationToken = default);

    /// <summary>The run <paramref name="id"/>, or null.</summary>
    Task<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Resolves a run reference (full id, unique prefix, unique 4-character suffix, or `last`) to an id;
    /// null when nothing matches.</summary>
    /// <exception cref="AmbiguousRunException">Several runs match.</exception>
    Task<string?> ResolveAsync(string reference, CancellationToken cancellationToken = default);

    /// <summary>Runs, newest first.</summary>
    Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>Takes ownership atomically: succeeds when the run has no owner, is owned by <paramref name="owner"/>, or its
    /// owner's heartbeat is stale; sets state running. False while another live process owns it (exit 4).</summary>
    Task<bool> TryTakeOwnershipAsync(string id, string owner, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Refreshes the owner's heartbeat; returns whether a cancel was asked (the owner polls it).</summary>
    Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Sets the cancel flag (state cancelling if running).</summary>
    Task RequestCancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Ends the run: final state, score, reference log, error; the owner is released.</summary>
    Task FinishRunAsync(string id, RunState state, DateTimeOffset finishedAt, double? testScore, int? testItems, string? referenceLog,
        string? errorCode, string? errorMessage, CancellationToken cancellationToken = default);

    /// <summary>Starts a transaction for items, calls, phases and checkpoints; nothing is visible until it commits.</summary>
    Task<IRunWriteBatch> BeginBatchAsync(CancellationToken cancellationToken = default);

    /// <summary>Phases in start order.</summary>
    Task<IReadOnlyList<PhaseRecord>> GetPhasesAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Items of a run (one phase, or all), ordered by phase, split, index.</summary>
    Task<IReadOnlyList<ItemRecord>> GetItemsAsync(string runId, string? phase = null, CancellationToken cancellationToken = default);

    /// <summary>A completed call by key, or null (resume: stored calls are not run again).</summary>
    Task<CallRecord?> GetCallAsync(string runId, string callKey, CancellationToken cancellationToken = default);

    /// <summary>A completed call with this key in any run but <paramref name="exceptRunId"/>, or null (cross-run reuse,
    /// config-and-cli.md §5.2: the key covers everything that decides the result, so any run's answer is this call's).</summary>
    Task<CallRecord?> FindCallAsync(string callKey, string exceptRunId, CancellationToken cancellationToken = default);

    /// <summary>A run's calls totalled per phase, model and kind, ordered by phase, model, model index, kind.</summary>
    Task<IReadOnlyList<CallTotals>> GetCallTotalsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>A phase checkpoint's state JSON, or null.</summary>
    Task<string?> GetCheckpointAsync(string runId, string phase, string key, CancellationToken cancellationToken = default);
}

/// <summary>One transaction of run writes. Dispose without <see cref="CommitAsync"/> rolls everything back.</summary>
public interface IRunWriteBatch : IAsyncDisposable
{
    /// <summary>Stores a finished item.</summary>
    Task<PutOutcome> PutItemAsync(ItemRecord item, CancellationToken cancellationToken = default);

    /// <summary>Stores a completed call.</summary>
    Task<PutOutcome> PutCallAsync(CallRecord call, CancellationToken cancellationToken = default);

    /// <summary>Creates or updates a phase.</summary>
    Task PutPhaseAsync(string runId, PhaseRecord phase, CancellationToken cancellationToken = default);

    /// <summary>Stores a phase checkpoint (replacing an earlier one of the same phase and key: checkpoints are state).</summary>
    Task PutCheckpointAsync(string runId, string phase, string key, string stateJson, CancellationToken cancellationToken = default);

    /// <summary>Makes every write of the batch durable.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>A run reference matched several runs.</summary>
public sealed class AmbiguousRunException(string reference, IReadOnlyList<string> matches)
    : Exception($"run \"{reference}\" is ambiguous: {string.Join(", ", matches.Take(5))}{(matches.Count > 5 ? ", …" : "")}")
{
    /// <summary>The matching ids.</summary>
    public IReadOnlyList<string> Matches { get; } = matches;
}
