using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;

namespace MoCo.Orchestrator.Engine;

/// <summary>One execution of a run, fixed before it starts: id, config, seed, data selection, and log options.</summary>
public sealed record RunPlan(string RunId, RunConfig Config, ulong Seed, int? Limit, ulong? LimitSeed, IReadOnlyList<string> DataDirectories,
    bool NoBaselines, bool Resumed, string LogDirectory, LogWriteOptions LogOptions, bool WantItems)
{
    /// <summary>`--no-cache`: calls this run has not stored are computed, never taken from other runs (config-and-cli.md §5.2).</summary>
    public bool NoCache { get; init; }

    /// <summary>The config's warnings (CFGW codes), formatted; the run emits them as `warning` events after run_started.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
