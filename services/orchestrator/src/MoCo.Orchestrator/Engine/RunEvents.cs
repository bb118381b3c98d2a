using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Engine;

/// <summary>Builds run events (contracts.md §7; config-and-cli.md §4.2): version 1, timestamped, with the run id.</summary>
public static class RunEvents
{
    /// <summary>An event of run <paramref name="runId"/> whose payload <paramref name="fill"/> sets.</summary>
    public static RunEvent Create(string runId, Action<RunEvent> fill)
    {
        var e = new RunEvent { V = 1, Ts = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow), RunId = runId };
        fill(e);
        return e;
    }

    /// <summary>Whether <paramref name="e"/> is a per-item event, which only callers asking for items get.</summary>
    public static bool IsItem(RunEvent e) => e.TypeCase is RunEvent.TypeOneofCase.ItemFinished or RunEvent.TypeOneofCase.ItemRecord;

    /// <summary>The phase_finished payload: done items and tokens over the phase's wall time, and the calls other runs
    /// answered. Tokens/s counts <paramref name="generatedTokens"/> — the tokens generated now, not those a resumed or
    /// reused call read back — when the caller knows them (a replay from the store does not).</summary>
    public static PhaseFinished PhaseFinished(string name, int done, double wallSeconds, long promptTokens, long completionTokens, int reusedCalls = 0,
        long? generatedTokens = null) => new()
    {
        Name = name,
        Items = done,
        WallS = wallSeconds,
        ItemsPerS = wallSeconds > 0 ? done / wallSeconds : 0,
        PromptTokens = promptTokens,
        CompletionTokens = completionTokens,
        TokensPerS = wallSeconds > 0 ? (generatedTokens ?? completionTokens) / wallSeconds : 0,
        ReusedCalls = reusedCalls,
    };

    /// <summary>The run_started payload: the config at a glance and the device map (<paramref name="replicas"/>: an
    /// embedded run's inference replicas, which say where each model runs; null on a server) of model_names, then of
    /// the <paramref name="implied"/> models, each with its key as its role.</summary>
    public static RunStarted Started(string method, string task, string taskType, IReadOnlyList<string> models, int? limit, ulong? limitSeed, ulong seed,
        bool reference, bool resumed, Config.ReplicaPlan? replicas = null, IReadOnlyList<(string Key, string Name)>? implied = null)
    {
        var summary = new RunConfigSummary { Method = method, Task = task, TaskType = taskType, Limit = limit, LimitSeed = limitSeed };
        summary.ModelNames.AddRange(models);
        var started = new RunStarted { Config = summary, Seed = seed, Compat = reference ? Compat.Reference : Compat.Moco, Resumed = resumed };
        // In config order; the device is empty where a cluster places the models (server mode).
        started.DeviceMap.AddRange(models.Select((m, i) => new DeviceAssignment { Name = m, Index = i, Device = replicas?.DeviceOf(m) ?? "" }));
        started.DeviceMap.AddRange((implied ?? []).DistinctBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => new DeviceAssignment { Name = m.Name, Role = m.Key, Device = replicas?.DeviceOf(m.Name) ?? "" }));
        return started;
    }

    /// <summary>The proto status of a stored state.</summary>
    public static RunStatus Status(Runs.RunState state) => state switch
    {
        Runs.RunState.Running => RunStatus.Running,
        Runs.RunState.Cancelling => RunStatus.Cancelling,
        Runs.RunState.Cancelled => RunStatus.Cancelled,
        Runs.RunState.Failed => RunStatus.Failed,
        Runs.RunState.Succeeded => RunStatus.Succeeded,
        Runs.RunState.Interrupted => RunStatus.Interrupted,
        _ => RunStatus.Unspecified,
    };
}
