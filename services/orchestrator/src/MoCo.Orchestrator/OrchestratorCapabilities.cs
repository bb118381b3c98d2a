namespace MoCo.Orchestrator;

/// <summary>What the orchestrator's RPCs wait on in this build.</summary>
public static class OrchestratorCapabilities
{
    /// <summary>RPC name → missing capability.</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>
    {
        ["StartRun"] = "the config validator, the method catalogue and the run engine",
        ["ResumeRun"] = "the run store and resumable runs",
        ["WatchRun"] = "the run store and run events",
        ["GetRun"] = "the run store",
        ["ListRuns"] = "the run store",
        ["CancelRun"] = "the run store and cancellable runs",
    };
}
