namespace MoCo.Evaluator;

/// <summary>What the evaluator's RPCs wait on in this build.</summary>
public static class EvaluatorCapabilities
{
    /// <summary>RPC name → missing capability.</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>
    {
        ["ListTasks"] = "the MoCo dataset loader and the task-type catalogue",
        ["LoadDataset"] = "the MoCo dataset loader (dev/test splits, views)",
        ["Evaluate"] = "the task-type scorers, the code sandbox and judge models",
    };
}
