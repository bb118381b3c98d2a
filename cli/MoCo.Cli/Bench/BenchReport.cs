namespace MoCo.Cli.Bench;

/// <summary>One measured figure and the baseline, measured in the same run, it is reported against.</summary>
/// <param name="Workload">What was measured, e.g. "decode, batch 8".</param>
/// <param name="Value">The figure, in <paramref name="Unit"/>.</param>
/// <param name="Baseline">What the ratio divides by, e.g. "batch-1 bandwidth bound"; null for a baseline itself.</param>
/// <param name="BaselineValue">The baseline's figure, in the same unit.</param>
/// <param name="Note">What a reader needs to read the ratio right, if anything.</param>
public sealed record BenchRow(string Workload, double Value, string Unit, string? Baseline,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] double BaselineValue,
    string? Note = null)
{
    /// <summary><see cref="Value"/> over <see cref="BaselineValue"/>; null for a baseline row.</summary>
    public double? Ratio => Baseline is not null && BaselineValue > 0 ? Value / BaselineValue : null;
}

/// <summary>One suite's rows and the setup they were measured on (model, device, sizes).</summary>
public sealed record BenchSuiteResult(string Suite, string Setup, IReadOnlyList<BenchRow> Rows);

/// <summary>Everything one `moco bench` measured, and where.</summary>
/// <param name="Failures">Suites that failed, each with why; the others' rows stand.</param>
public sealed record BenchReport(string MocoVersion, string Native, string Machine, DateTimeOffset At, IReadOnlyList<BenchSuiteResult> Suites,
    IReadOnlyDictionary<string, string> Failures);
