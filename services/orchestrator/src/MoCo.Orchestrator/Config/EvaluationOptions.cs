namespace MoCo.Orchestrator.Config;

/// <summary>Sandbox limits of the coding task type (`evaluation.sandbox.*`, config-and-cli.md §1.1; evaluation.md §4.2).
/// A null <see cref="MaxParallel"/> means half the cores, at least 1.</summary>
public sealed record SandboxOptions(string? Python, int? MaxParallel, bool AllowWeakIsolation, double TimeoutS, double CpuS,
    int MemoryMb, int FileMb, int MaxFiles, int MaxProcs);

/// <summary>The `evaluation` object with every default filled (config-and-cli.md §1.1, evaluation.md §5.4).</summary>
public sealed record EvaluationOptions(
    IReadOnlyList<string> DataDirs,
    int? Limit,
    ulong? LimitSeed,
    string? GroupBy,
    string VerifierModel,
    string RewardModel,
    string RewardModelKind,
    string DiversityEncoder,
    SandboxOptions Sandbox);
