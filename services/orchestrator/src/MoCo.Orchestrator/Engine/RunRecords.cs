using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>Stored runs as the contract shows them (GetRun, ListRuns, CancelRun; contracts.md §7).</summary>
public static class RunRecords
{
    /// <summary>The stored state of a proto status filter.</summary>
    public static RunState State(RunStatus status) => status switch
    {
        RunStatus.Cancelling => RunState.Cancelling,
        RunStatus.Cancelled => RunState.Cancelled,
        RunStatus.Failed => RunState.Failed,
        RunStatus.Succeeded => RunState.Succeeded,
        RunStatus.Interrupted => RunState.Interrupted,
        _ => RunState.Running,
    };

    /// <summary>One line of `moco runs list`.</summary>
    public static RunSummary Summary(Runs.RunRecord run)
    {
        var summary = new RunSummary
        {
            Id = run.Id,
            Status = RunEvents.Status(run.StatusAt(DateTimeOffset.UtcNow)),
            Method = run.Run.Method,
            Task = run.Run.Task,
            TestScore = run.TestScore,
            CreatedAt = Timestamp.FromDateTimeOffset(run.Run.CreatedAt),
            Wall = Duration.FromTimeSpan((run.FinishedAt ?? run.Heartbeat ?? run.Run.CreatedAt) - run.Run.CreatedAt),
            Mode = run.Run.Mode,
            Compat = run.Run.Compat == "reference" ? Compat.Reference : Compat.Moco,
        };
        summary.ModelNames.AddRange(run.Run.ModelNames);
        return summary;
    }

    // Calls stored without their model (before the store kept it) are named by model_index; those and the newer ones of
    // the same model total together.
    private static async Task AddModelCallsAsync(IRunStore store, Runs.RunRecord run, Contracts.V1.RunRecord record, CancellationToken cancellationToken)
    {
        var names = run.Run.ModelNames;
        var phases = record.Phases.Select((p, i) => (p.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        var totals = await store.GetCallTotalsAsync(run.Id, cancellationToken).ConfigureAwait(false);
        foreach (var group in totals
            .GroupBy(t => (t.Phase, Model: t.Model ?? (t.ModelIndex >= 0 && t.ModelIndex < names.Count ? names[t.ModelIndex] : ""), t.Kind))
            .OrderBy(g => phases.GetValueOrDefault(g.Key.Phase, int.MaxValue)).ThenBy(g => g.Key.Phase, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Kind, StringComparer.Ordinal))
        {
            var calls = new ModelCallTotals
            {
                Phase = group.Key.Phase,
                Model = group.Key.Model,
                Kind = group.Key.Kind,
                Calls = group.Sum(t => t.Calls),
                PromptTokens = group.Sum(t => t.PromptTokens),
                CompletionTokens = group.Sum(t => t.CompletionTokens),
                Latency = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(group.Sum(t => t.LatencyMs))),
            };
            calls.Replicas.AddRange(group.SelectMany(t => t.Replicas).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            record.ModelCalls.Add(calls);
        }
    }

    /// <summary>The full record of run <paramref name="id"/>: phases, scores with baselines, timings, error, items if asked.</summary>
    public static async Task<Contracts.V1.RunRecord> ToProtoAsync(IRunStore store, string id, bool withItems, CancellationToken cancellationToken)
    {
        var run = (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false))!;
        var record = new Contracts.V1.RunRecord
        {
            Id = run.Id,
            Status = RunEvents.Status(run.StatusAt(DateTimeOffset.UtcNow)),
            Owner = run.Owner ?? "",
            Compat = run.Run.Compat == "reference" ? Compat.Reference : Compat.Moco,
            Seed = run.Run.Seed,
            ConfigText = run.Run.ConfigText,
            ResolvedConfig = Struct.Parser.ParseJson(run.Run.ResolvedConfigJson),
            Fingerprints = new RunFingerprints
            {
                ConfigSha256 = run.ConfigSha256,
                DatasetSha256 = run.Run.DatasetSha256,
                MocoVersion = run.Run.MocoVersion,
                MethodVersion = run.Run.MethodVersion,
            },
            Scores = new RunScores { Test = run.TestScore, NTest = run.TestItems ?? 0 },
            Timings = new RunTimings
            {
                CreatedAt = Timestamp.FromDateTimeOffset(run.Run.CreatedAt),
                FinishedAt = run.FinishedAt is { } f ? Timestamp.FromDateTimeOffset(f) : null,
                Heartbeat = run.Heartbeat is { } h ? Timestamp.FromDateTimeOffset(h) : null,
                Wall = Duration.FromTimeSpan((run.FinishedAt ?? DateTimeOffset.UtcNow) - run.Run.CreatedAt),
            },
            Method = run.Run.Method,
            Task = run.Run.Task,
            TaskType = run.Run.TaskType,
            Limit = run.Run.Limit,
            LimitSeed = run.Run.LimitSeed,
            ReferenceLog = run.ReferenceLog ?? "",
            Mode = run.Run.Mode,
        };
        record.ModelNames.AddRange(run.Run.ModelNames);
        if (run.ErrorCode is not null)
        {
            record.Error = new RunError { Code = run.ErrorCode, Message = run.ErrorMessage ?? "" };
        }
        foreach (var phase in await store.GetPhasesAsync(id, cancellationToken).ConfigureAwait(false))
        {
            record.Phases.Add(new Contracts.V1.PhaseRecord
            {
                Name = phase.Name,
                Status = phase.Status == "finished" ? PhaseStatus.Finished : PhaseStatus.Running,
                Total = phase.Total,
                Done = phase.Done,
                StartedAt = Timestamp.FromDateTimeOffset(phase.StartedAt),
                FinishedAt = phase.FinishedAt is { } end ? Timestamp.FromDateTimeOffset(end) : null,
                Wall = Duration.FromTimeSpan((phase.FinishedAt ?? DateTimeOffset.UtcNow) - phase.StartedAt),
                PromptTokens = phase.PromptTokens,
                CompletionTokens = phase.CompletionTokens,
            });
        }
        await AddModelCallsAsync(store, run, record, cancellationToken).ConfigureAwait(false);
        if (await store.GetCheckpointAsync(id, "baselines", "state", cancellationToken).ConfigureAwait(false) is { } baselines)
        {
            foreach (var b in System.Text.Json.Nodes.JsonNode.Parse(baselines)!.AsArray())
            {
                record.Scores.Baselines.Add(new BaselineScore { Model = (string)b!["model"]!, Test = (double)b["test"]! });
            }
        }
        if (withItems)
        {
            var items = await store.GetItemsAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var line in Logs.RunLogWriter.ItemsJsonl(id, items).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                record.Items.Add(Struct.Parser.ParseJson(line));
            }
        }
        return record;
    }
}
