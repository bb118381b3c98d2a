namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>A stored call result (config-and-cli.md §5.2): what a resumed run reads back instead of calling again.</summary>
public sealed record StoredCall(string ResultJson, CallUsage Usage);

/// <summary>A finished call to persist under its key. <paramref name="Model"/> names what answered it as the method named
/// it (a model, a trained model, "ensemble of a, b"); <paramref name="ModelIndex"/> is its place in model_names, or -1.</summary>
public sealed record LedgerEntry(string CallKey, string Phase, string Kind, int ModelIndex, string ItemKey, int SampleIndex, string ResultJson,
    CallUsage Usage, string Model);

/// <summary>The run's completed calls: read before calling, written as each call completes (insert-or-ignore).</summary>
public interface ICallLedger
{
    /// <summary>The stored result of <paramref name="callKey"/>, or null.</summary>
    Task<StoredCall?> GetAsync(string callKey, CancellationToken cancellationToken);

    /// <summary>Commits one finished call.</summary>
    Task PutAsync(LedgerEntry entry, CancellationToken cancellationToken);
}
