using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Engine;

/// <summary>WatchRun's events for a run that is not executing in this process, rebuilt from the store: run_started,
/// each stored phase (phase_started, then phase_finished or its last progress), and run_finished with the stored
/// outcome. A run left running by a process that died reads as interrupted.</summary>
internal static class RunReplay
{
    public static async Task<IReadOnlyList<RunEvent>> FromStoreAsync(Runs.IRunStore store, Runs.RunRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var run = record.Run;
        var events = new List<RunEvent>
        {
            RunEvents.Create(run.Id, e => e.RunStarted = RunEvents.Started(run.Method, run.Task, run.TaskType, run.ModelNames, run.Limit, run.LimitSeed,
                run.Seed, run.Compat == "reference", resumed: false)),
        };
        foreach (var phase in await store.GetPhasesAsync(run.Id, cancellationToken).ConfigureAwait(false))
        {
            events.Add(RunEvents.Create(run.Id, e => e.PhaseStarted = new PhaseStarted { Name = phase.Name, Total = phase.Total }));
            if (phase.FinishedAt is { } finished)
            {
                events.Add(RunEvents.Create(run.Id, e => e.PhaseFinished = RunEvents.PhaseFinished(phase.Name, phase.Done,
                    (finished - phase.StartedAt).TotalSeconds, phase.PromptTokens, phase.CompletionTokens)));
            }
            else
            {
                events.Add(RunEvents.Create(run.Id, e => e.Progress = new Progress { Phase = phase.Name, Done = phase.Done, Total = phase.Total }));
            }
        }
        var status = record.StatusAt(now);
        if (record.ErrorCode is { } code)
        {
            events.Add(RunEvents.Create(run.Id, e => e.Error = new RunError { Code = code, Message = record.ErrorMessage ?? "", Fix = "resume the run" }));
        }
        events.Add(RunEvents.Create(run.Id, e => e.RunFinished = new RunFinished
        {
            Status = RunEvents.Status(status),
            Score = record.TestScore,
            ReferenceLog = record.ReferenceLog ?? "",
            WallS = ((record.FinishedAt ?? now) - run.CreatedAt).TotalSeconds,
        }));
        return events;
    }
}
