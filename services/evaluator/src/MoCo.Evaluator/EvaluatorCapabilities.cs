namespace MoCo.Evaluator;

/// <summary>What the evaluator's RPCs wait on in this build: nothing — ListTasks, LoadDataset and Evaluate are
/// served. Task types that need a model report, per item, what the inference service lacks.</summary>
public static class EvaluatorCapabilities
{
    /// <summary>RPC name → missing capability (empty: every RPC is served).</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>();

    /// <summary>The RPCs this build serves.</summary>
    public static IReadOnlySet<string> Served { get; } = new HashSet<string> { "ListTasks", "LoadDataset", "Evaluate" };
}
