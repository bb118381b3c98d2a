using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>The run's completed calls in the run store (`calls` table, config-and-cli.md §5.1): each call commits in its
/// own transaction as it completes, so a kill loses at most the calls in flight. With <paramref name="reuse"/> set, a
/// call this run has not stored is looked up in the other runs (§5.2: the key covers the method, mode, phase, model
/// fingerprint, item and full request with its seed) and copied into this run, so the run stays complete on its own
/// for resume, export and its logs; <paramref name="reuse"/> hears the phase of each such call.</summary>
public sealed class StoreCallLedger(IRunStore store, string runId, Action<string>? reuse = null) : ICallLedger
{
    /// <inheritdoc/>
    public async Task<StoredCall?> GetAsync(string callKey, CancellationToken cancellationToken)
    {
        var call = await store.GetCallAsync(runId, callKey, cancellationToken).ConfigureAwait(false);
        if (call is null && reuse is not null && await store.FindCallAsync(callKey, runId, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            call = earlier with { RunId = runId };
            await PutAsync(call, cancellationToken).ConfigureAwait(false);
            reuse(call.Phase);
        }
        return call is null ? null
            : new StoredCall(call.ResultJson, new CallUsage(call.PromptTokens, call.CompletionTokens, TimeSpan.FromMilliseconds(call.LatencyMs), call.Replica));
    }

    /// <inheritdoc/>
    public Task PutAsync(LedgerEntry entry, CancellationToken cancellationToken) =>
        PutAsync(new CallRecord(runId, entry.CallKey, entry.Phase, entry.Kind, entry.ModelIndex, entry.ItemKey, entry.SampleIndex,
            entry.ResultJson, entry.Usage.PromptTokens, entry.Usage.CompletionTokens, (int)entry.Usage.Latency.TotalMilliseconds, entry.Usage.Replica, entry.Model),
            cancellationToken);

    private async Task PutAsync(CallRecord call, CancellationToken cancellationToken)
    {
        // Committed even when the run is being cancelled: the call finished, and keeping it is what makes resume cheap.
        await using var batch = await store.BeginBatchAsync(CancellationToken.None).ConfigureAwait(false);
        await batch.PutCallAsync(call, CancellationToken.None).ConfigureAwait(false);
        await batch.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
