namespace MoCo.Orchestrator.Config;

/// <summary>The outcome of validating one config: every problem found, and the config when there is no error.</summary>
public sealed record ValidationResult(string File, IReadOnlyList<ConfigProblem> Problems, RunConfig? Config)
{
    /// <summary>No errors (warnings allowed); with --syntax-only there is no <see cref="Config"/> even when valid.</summary>
    public bool Valid => Problems.All(p => p.Severity != ProblemSeverity.Error);

    /// <summary>The errors.</summary>
    public IReadOnlyList<ConfigProblem> Errors => [.. Problems.Where(p => p.Severity == ProblemSeverity.Error)];

    /// <summary>Warnings and notices.</summary>
    public IReadOnlyList<ConfigProblem> Warnings => [.. Problems.Where(p => p.Severity != ProblemSeverity.Error)];
}
