namespace MoCo.Evaluator.Service;

/// <summary>Evaluator service settings, bound from the configuration section <c>Moco:Evaluator</c> (a run's
/// `evaluation` object arrives per call instead, in the LoadDataset and Evaluate requests).</summary>
public sealed class EvaluatorOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string Section = "Moco:Evaluator";

    /// <summary>Dataset folders searched after a request's own and before MOCO_DATA_DIR and the defaults.</summary>
    public List<string> DataDirectories { get; set; } = [];

    /// <summary>gRPC address of the inference service (or the gateway) that serves judges, reward models and
    /// encoders; default the inference service's contract port on this machine.</summary>
    public string InferenceAddress { get; set; } = "http://127.0.0.1:50051";

    /// <summary>Judge, reward or encoder calls of one Evaluate in flight at once (the inference service batches them).</summary>
    public int JudgeParallelism { get; set; } = 16;

    /// <summary>First uid of sandboxed programs when the evaluator runs as root; one uid per program running at once.
    /// Pick a range no account uses.</summary>
    public int SandboxUidBase { get; set; } = 1_900_000_000;

    /// <summary>gRPC address of the code sandbox service (`moco serve sandbox`, sandbox.proto) that runs the programs of
    /// coding items; null = run them in this process. For clusters whose nodes cannot isolate programs inside the
    /// evaluator (evaluation.md §4.2).</summary>
    public string? SandboxAddress { get; set; }

    /// <summary>The bearer token sent to the sandbox service (one of its Moco:Sandbox:TokensFile), in place of
    /// Moco:Host:GatewayToken, which never goes there; null = none. In Kubernetes: an env entry from a Secret.</summary>
    public string? SandboxToken { get; set; }

    /// <summary>Folder whose prompt files (multiple_choice_instruction.txt, box_instruction.txt, verifier_prompt.txt,
    /// reward_judge_prompt.txt) replace the built-in ones; null = built-in only.</summary>
    public string? PromptDirectory { get; set; }
}
