namespace MoCo.Orchestrator.Runs;

/// <summary>Stored states of a run (config-and-cli.md §5.1). `interrupted` is not stored: it is a running run whose
/// owner's heartbeat is older than <see cref="RunRecord.StaleAfter"/>.</summary>
public enum RunState
{
    /// <summary>Running (or interrupted, when the heartbeat is stale).</summary>
    Running,
    /// <summary>Cancel asked; stopping.</summary>
    Cancelling,
    /// <summary>Stopped by a cancel; resumable.</summary>
    Cancelled,
    /// <summary>Failed after start; resumable.</summary>
    Failed,
    /// <summary>Finished with a score.</summary>
    Succeeded,
    /// <summary>Derived, never stored: running with a stale heartbeat.</summary>
    Interrupted,
}

/// <summary>Wire names (run.json `status`, `moco runs list`).</summary>
public static class RunStateNames
{
    /// <summary>e.g. "succeeded".</summary>
    public static string Name(this RunState state) => state.ToString().ToLowerInvariant();

    /// <summary>Parses a stored name.</summary>
    public static RunState Parse(string name) => Enum.Parse<RunState>(name, ignoreCase: true);
}
