using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One item as methods see it (methods-text.md §0.5): dataset index, id, formatted prompt, metadata; gold
/// only on dev and only where a method needs it (test gold never reaches a method).</summary>
public sealed record TaskItem(int Index, string Id, string Prompt, JsonObject Metadata, string? Gold = null)
{
    /// <summary>Gold as answer text: a multiple-choice item's option text (<see cref="Gold"/> holds its letter), else
    /// the same as <see cref="Gold"/>.</summary>
    public string? GoldText { get; init; }
}

/// <summary>One split of the task, as an evaluator view (evaluation.md §5.1): its view id addresses Evaluate calls.</summary>
public sealed record TaskSplit(string Name, string ViewId, IReadOnlyList<TaskItem> Items, bool Partial);

/// <summary>The run's dev/test data: the evaluator's LoadDataset with the run's limit, limit seed and group_by.</summary>
public interface ITaskData
{
    /// <summary>The dev split (ratio = the first ⌊n·ratio⌋ items, as `prepare_inputs`; 1.0 = all).</summary>
    Task<TaskSplit> DevAsync(double ratio, bool includeGold, CancellationToken cancellationToken);

    /// <summary>The test split.</summary>
    Task<TaskSplit> TestAsync(CancellationToken cancellationToken);
}
