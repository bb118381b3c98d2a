using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>The run's completed calls in the run store (`calls` table, config-and-cli.md §5.1): each call commits in its
/// own transaction as it completes, so a kill loses at most the calls in flight.</summary>
public sealed class StoreCallLedger(IRunStore store, string runId) : ICallLedger
{
    /// <inheritdoc/>
    public async Task<StoredCall?> GetAsync(string callKey, CancellationToken cancellationToken)
    {
        var call = await store.GetCallAsync(runId, callKey, cancellationToken).ConfigureAwait(false);
        return call is null ? null : new StoredCall(call.ResultJson, new CallUsage(call.PromptTokens, call.CompletionTokens, TimeSpan.FromMilliseconds(call.LatencyMs), call.Replica));
    }

    /// <inheritdoc/>
    public async Task PutAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        // Committed even when the run is being cancelled: the call finished, and keeping it is what makes resume cheap.
        await using var batch = await store.BeginBatchAsync(CancellationToken.None).ConfigureAwait(false);
        await batch.PutCallAsync(new CallRecord(runId, entry.CallKey, entry.Phase, entry.Kind, entry.ModelIndex, entry.ItemKey, entry.SampleIndex,
            entry.ResultJson, entry.Usage.PromptTokens, entry.Usage.CompletionTokens, (int)entry.Usage.Latency.TotalMilliseconds, entry.Usage.Replica),
            CancellationToken.None).ConfigureAwait(false);
        await batch.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
