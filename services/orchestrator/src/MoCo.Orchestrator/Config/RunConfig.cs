namespace MoCo.Orchestrator.Config;

/// <summary>
/// A validated config (config-and-cli.md §1): immutable, every default filled. <see cref="TaskType"/> is the
/// effective type (the dataset's own when the config leaves it out and the dataset was read). The text as written is
/// kept: run.json hashes it, config.json stores it and resume compares it.
/// </summary>
public sealed record RunConfig(
    string Method,
    string Task,
    string TaskType,
    IReadOnlyList<int> GpuIds,
    IReadOnlyList<string> ModelNames,
    Hyperparameters Hyperparameters,
    CompatMode Compat,
    ulong? Seed,
    string Device,
    EvaluationOptions Evaluation,
    string ConfigText,
    string ConfigName)
{
    /// <summary>True when the config did not name task_type and the dataset's was taken.</summary>
    public bool TaskTypeFromDataset { get; init; }

    /// <summary>The dataset file found by validation; null when the environment was not checked.</summary>
    public string? DatasetPath { get; init; }

    /// <summary>Folder of the config file (relative paths resolve against it); null for text without a file.</summary>
    public string? ConfigDirectory { get; init; }
}
