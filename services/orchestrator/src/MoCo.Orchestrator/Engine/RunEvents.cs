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
