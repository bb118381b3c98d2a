namespace MoCo.Orchestrator;

/// <summary>The orchestrator host's settings (section <see cref="Section"/>): where the services it calls are, the run
/// store, and where server-side runs write their logs.</summary>
public sealed class OrchestratorOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string Section = "Moco:Orchestrator";

    /// <summary>gRPC address of the inference service (or the gateway).</summary>
    public string InferenceAddress { get; set; } = "http://127.0.0.1:50051";

    /// <summary>gRPC address of the evaluator service (or the gateway).</summary>
    public string EvaluatorAddress { get; set; } = "http://127.0.0.1:50053";

    /// <summary>The run store (config-and-cli.md §5.1); null = MOCO_RUN_STORE, else `$MOCO_HOME/runs.db`.</summary>
    public string? RunStore { get; set; }

    /// <summary>The log folder of runs this server executes; null = MOCO_LOG_DIR, else ./logs.</summary>
    public string? LogDirectory { get; set; }

    /// <summary>Dataset folders searched after a request's own and before MOCO_DATA_DIR and the defaults.</summary>
    public List<string> DataDirectories { get; set; } = [];
}
