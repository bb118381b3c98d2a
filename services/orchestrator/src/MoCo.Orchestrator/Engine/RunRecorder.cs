using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>
/// The run-store side of a running method (methods-text.md §0.11): phases persisted with their progress and tokens,
/// items committed as they finish (insert-or-ignore: a replayed item after resume is not stored twice), phase
/// checkpoints, and the run's events — phase_started, progress (at most every <see cref="ProgressInterval"/> per
/// phase, and always at the end), phase_finished, item_finished, warning.
/// </summary>
public sealed class RunRecorder(IRunStore store, string runId, Action<RunEvent> emit, bool emitItems) : IRunRecorder, IRunMeter
{
    private const string CheckpointKey = "state";
    private static readonly TimeSpan TokenWindow = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, PhaseState> _phases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _modelCalls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Phase, string Model), DateTimeOffset> _trainingReports = new();
    private long _completionTokens;
    private long _generatedTokens;

    /// <summary>Least time between two progress events of one phase.</summary>
    public static TimeSpan ProgressInterval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Completion tokens of every call this process made or replayed.</summary>
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);

    /// <summary>Completion tokens generated in this process (stored calls read back excluded).</summary>
    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    /// <summary>Calls per model, in first-call order of the models (the log's `moco.model_calls`).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ModelCalls => [.. _modelCalls.OrderBy(p => p.Key, StringComparer.Ordinal)];

    /// <inheritdoc/>
    public async Task<JsonNode?> BeginPhaseAsync(string name, string unit, int total, CancellationToken cancellationToken)
    {
        var stored = (await store.GetPhasesAsync(runId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Name == name);
        if (stored is { Status: "finished" } && await store.GetCheckpointAsync(runId, name, CheckpointKey, cancellationToken).ConfigureAwait(false) is { } checkpoint)
        {
            return JsonNode.Parse(checkpoint);
        }
        var state = new PhaseState(name, total, stored?.StartedAt ?? DateTimeOffset.UtcNow);
        _phases[name] = state;
        await PutPhaseAsync(state, "running", null).ConfigureAwait(false);
        emit(RunEvents.Create(runId, e => e.PhaseStarted = new PhaseStarted { Name = name, Unit = unit, Total = total }));
        return null;
    }

    /// <inheritdoc/>
    public void Progress(string phase, int done, string? model = null)
    {
        if (_phases.TryGetValue(phase, out var state))
        {
            Interlocked.Exchange(ref state.Done, done);
            Report(state, model, force: done >= state.Total);
        }
    }

    /// <inheritdoc/>
    public void CallFinished(string phase, string model, CallUsage usage, bool fromStore)
    {
        Interlocked.Add(ref _completionTokens, usage.CompletionTokens);
        if (!fromStore)
        {
            Interlocked.Add(ref _generatedTokens, usage.CompletionTokens);
        }
        _modelCalls.AddOrUpdate(model, 1, (_, n) => n + 1);
        if (!_phases.TryGetValue(phase, out var state))
        {
            return;
        }
        var done = Interlocked.Increment(ref state.Done);
        Interlocked.Add(ref state.PromptTokens, usage.PromptTokens);
        Interlocked.Add(ref state.CompletionTokens, usage.CompletionTokens);
        if (!fromStore)
        {
            // Replayed calls cost nothing now: tokens/s counts only tokens generated in this process.
            state.Window.Enqueue((DateTimeOffset.UtcNow, usage.CompletionTokens));
            Interlocked.Add(ref state.GeneratedTokens, usage.CompletionTokens);
        }
        Report(state, model, force: done >= state.Total);
    }

    /// <summary>A call of <paramref name="phase"/> was answered by another run's stored result (cross-run reuse).</summary>
    public void CallReused(string phase)
    {
        if (_phases.TryGetValue(phase, out var state))
        {
            Interlocked.Increment(ref state.Reused);
        }
    }

    /// <inheritdoc/>
    public void TrainingStep(string phase, string model, int step, int totalSteps, double loss, double stepsPerSecond)
    {
        // A child row per trained model: at most one event per ProgressInterval, and always the last step.
        var now = DateTimeOffset.UtcNow;
        var last = _trainingReports.GetOrAdd((phase, model), DateTimeOffset.MinValue);
        if (step < totalSteps && now - last < ProgressInterval)
        {
            return;
        }
        _trainingReports[(phase, model)] = now;
        var progress = new Progress { Phase = phase, Model = model, Done = step, Total = totalSteps, ItemsPerS = stepsPerSecond, Loss = loss };
        if (stepsPerSecond > 0)
        {
            progress.EtaS = Math.Max(0, totalSteps - step) / stepsPerSecond;
        }
        emit(RunEvents.Create(runId, e => e.Progress = progress));
    }

    /// <inheritdoc/>
    public async Task<bool> ItemFinishedAsync(FinishedItem item, CancellationToken cancellationToken)
    {
        var record = new ItemRecord(runId, item.Phase, item.Split, item.Index, item.Id, item.Input, item.Output, item.Parsed, item.Score,
            item.Extras.ToJsonString(), item.Model);
        PutOutcome outcome;
        // Items commit even while the run is cancelled: what finished is kept (config-and-cli.md §5.3).
        await using (var batch = await store.BeginBatchAsync(CancellationToken.None).ConfigureAwait(false))
        {
            outcome = await batch.PutItemAsync(record, CancellationToken.None).ConfigureAwait(false);
            await batch.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        if (emitItems && outcome == PutOutcome.Inserted)
        {
            emit(RunEvents.Create(runId, e => e.ItemFinished = new ItemFinished
            {
                Phase = item.Phase,
                Split = item.Split,
                Index = item.Index,
                Id = item.Id,
                Score = item.Score,
                Parsed = item.Parsed,
                Model = item.Model ?? "",
            }));
        }
        return outcome == PutOutcome.Inserted;
    }

    /// <inheritdoc/>
    public async Task EndPhaseAsync(string name, JsonNode? checkpoint, CancellationToken cancellationToken)
    {
        if (!_phases.TryGetValue(name, out var state))
        {
            return;
        }
        var finished = DateTimeOffset.UtcNow;
        await PutPhaseAsync(state, "finished", finished, checkpoint?.ToJsonString()).ConfigureAwait(false);
        emit(RunEvents.Create(runId, e => e.PhaseFinished = RunEvents.PhaseFinished(name, state.Done, (finished - state.StartedAt).TotalSeconds,
            state.PromptTokens, state.CompletionTokens, state.Reused, state.GeneratedTokens)));
    }

    /// <inheritdoc/>
    public void Warn(string message) => emit(RunEvents.Create(runId, e => e.Warning = new RunWarning { Message = message }));

    private async Task PutPhaseAsync(PhaseState state, string status, DateTimeOffset? finished, string? checkpoint = null)
    {
        await using var batch = await store.BeginBatchAsync(CancellationToken.None).ConfigureAwait(false);
        await batch.PutPhaseAsync(runId, new Runs.PhaseRecord(state.Name, status, state.Total, state.Done, state.StartedAt, finished, state.PromptTokens,
            state.CompletionTokens), CancellationToken.None).ConfigureAwait(false);
        if (checkpoint is not null)
        {
            await batch.PutCheckpointAsync(runId, state.Name, CheckpointKey, checkpoint, CancellationToken.None).ConfigureAwait(false);
        }
        await batch.CommitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private void Report(PhaseState state, string? model, bool force)
    {
        var now = DateTimeOffset.UtcNow;
        lock (state)
        {
            if (!force && now - state.LastReport < ProgressInterval)
            {
                return;
            }
            state.LastReport = now;
        }
        while (state.Window.TryPeek(out var head) && now - head.At > TokenWindow)
        {
            state.Window.TryDequeue(out _);
        }
        var span = Math.Min(TokenWindow.TotalSeconds, Math.Max((now - state.StartedAt).TotalSeconds, 1e-3));
        var elapsed = Math.Max((now - state.StartedAt).TotalSeconds, 1e-3);
        var done = state.Done;
        var itemsPerS = done / elapsed;
        var progress = new Progress
        {
            Phase = state.Name,
            Model = model ?? "",
            Done = done,
            Total = state.Total,
            ItemsPerS = itemsPerS,
            TokensPerS = state.Window.Sum(w => (double)w.Tokens) / span,
        };
        if (state.Total > 0 && itemsPerS > 0)
        {
            progress.EtaS = Math.Max(0, state.Total - done) / itemsPerS;
        }
        emit(RunEvents.Create(runId, e => e.Progress = progress));
    }

    private sealed class PhaseState(string name, int total, DateTimeOffset startedAt)
    {
        public string Name { get; } = name;
        public int Total { get; } = total;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public DateTimeOffset LastReport { get; set; } = DateTimeOffset.MinValue;
        public ConcurrentQueue<(DateTimeOffset At, int Tokens)> Window { get; } = new();
        public int Done;
        public long PromptTokens;
        public long CompletionTokens;
        public long GeneratedTokens;
        public int Reused;
    }
}
