using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>A finished item as a method reports it (items.jsonl, config-and-cli.md §3.4): extras = the method's item
/// keys beyond input/output/score plus MoCo.NET details.</summary>
public sealed record FinishedItem(string Phase, string Split, int Index, string Id, string Input, string Output, string? Parsed,
    double? Score, JsonObject Extras, string? Model = null);

/// <summary>
/// The run-store hooks methods use (methods-text.md §0.11): phases with progress (config-and-cli.md §4.2), items
/// persisted as they complete, and checkpoints of phase state, so a resumed run skips what is done.
/// </summary>
public interface IRunRecorder
{
    /// <summary>Starts (or, on resume, re-enters) a phase; returns its checkpoint when the phase already finished.</summary>
    Task<JsonNode?> BeginPhaseAsync(string name, string unit, int total, CancellationToken cancellationToken);

    /// <summary>Reports progress inside the running phase.</summary>
    void Progress(string phase, int done, string? model = null);

    /// <summary>Persists a finished item; false when the item was already stored (a replay after resume).</summary>
    Task<bool> ItemFinishedAsync(FinishedItem item, CancellationToken cancellationToken);

    /// <summary>Ends a phase, storing <paramref name="checkpoint"/> (dev scores, chosen models, swarm state…).</summary>
    Task EndPhaseAsync(string name, JsonNode? checkpoint, CancellationToken cancellationToken);

    /// <summary>A run warning (event `warning`).</summary>
    void Warn(string message);
}
