namespace MoCo.Orchestrator.Runs;

/// <summary>A run to create (config-and-cli.md §5.1 `runs` table).</summary>
public sealed record NewRun(
    string Id,
    string Owner,
    string Method,
    string Task,
    string TaskType,
    IReadOnlyList<string> ModelNames,
    string Compat,
    ulong Seed,
    string ConfigText,
    string ResolvedConfigJson,
    int? Limit,
    ulong? LimitSeed,
    string DatasetSha256,
    string ModelFingerprintsJson,
    string MocoVersion,
    int MethodVersion,
    string Mode,
    DateTimeOffset CreatedAt);

/// <summary>A stored run.</summary>
public sealed record RunRecord(
    NewRun Run,
    RunState StoredStatus,
    string? Owner,
    DateTimeOffset? Heartbeat,
    bool CancelRequested,
    string ConfigSha256,
    DateTimeOffset? FinishedAt,
    double? TestScore,
    int? TestItems,
    string? ReferenceLog,
    string? ErrorCode,
    string? ErrorMessage)
{
    /// <summary>A running run whose heartbeat is older than this is interrupted (the owner refreshes every 5 s).</summary>
    public static TimeSpan StaleAfter { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Run id.</summary>
    public string Id => Run.Id;

    /// <summary>The state as users see it at <paramref name="now"/>: running with a stale heartbeat is interrupted.</summary>
    public RunState StatusAt(DateTimeOffset now) =>
        StoredStatus == RunState.Running && (Heartbeat is null || now - Heartbeat.Value > StaleAfter) ? RunState.Interrupted : StoredStatus;
}

/// <summary>Which runs to list; null fields do not filter.</summary>
public sealed record RunQuery(IReadOnlyList<RunState>? Statuses = null, string? Method = null, string? Task = null, int Limit = 20);

/// <summary>A phase of a run (`phases` table).</summary>
public sealed record PhaseRecord(string Name, string Status, int Total, int Done, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    long PromptTokens, long CompletionTokens);

/// <summary>A finished item (`items` table; one items.jsonl line). Unique per (run, phase, split, index).</summary>
public sealed record ItemRecord(string RunId, string Phase, string Split, int Index, string ItemId, string Input, string Output,
    string? Parsed, double? Score, string ExtrasJson, string? Model = null, int LatencyMs = 0, int PromptTokens = 0, int CompletionTokens = 0);

/// <summary>A completed service call (`calls` table). Unique per (run, call key).</summary>
public sealed record CallRecord(string RunId, string CallKey, string Phase, string Kind, int ModelIndex, string ItemKey, int SampleIndex,
    string ResultJson, int PromptTokens, int CompletionTokens, int LatencyMs, string? Replica = null, string? Model = null);

/// <summary>A run's calls of one kind to one model in one phase, totalled (`calls` table; GetRun's model_calls). Model is
/// null for calls stored without it (then ModelIndex says which of model_names, or -1).</summary>
public sealed record CallTotals(string Phase, string? Model, int ModelIndex, string Kind, long Calls, long PromptTokens, long CompletionTokens,
    long LatencyMs, IReadOnlyList<string> Replicas);

/// <summary>What storing a keyed record did: the first write inserts; the same record again is a harmless duplicate
/// (a replayed call after resume); different content under a stored key is a conflict, never overwritten.</summary>
public enum PutOutcome
{
    /// <summary>Stored.</summary>
    Inserted,
    /// <summary>Already stored with identical content.</summary>
    Duplicate,
    /// <summary>Already stored with different content; the stored one is kept.</summary>
    Conflict,
}
