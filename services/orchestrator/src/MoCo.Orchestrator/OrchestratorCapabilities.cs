namespace MoCo.Orchestrator;

/// <summary>What the orchestrator's RPCs wait on in this build.</summary>
public static class OrchestratorCapabilities
{
    /// <summary>RPC name → missing capability.</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>();
}
