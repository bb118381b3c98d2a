using System.Text.Json.Nodes;

namespace MoCo.Zoo.Suite;

/// <summary>
/// One domain of the bundled task suite: a MoCo task (dataset file <see cref="Task"/>.json) whose items are drawn
/// from a seeded generator, the ideal response the zoo's models are trained towards, and the specialist that
/// masters it.
/// </summary>
public abstract class SuiteDomain
{
    /// <summary>The task name, the dataset file's stem.</summary>
    public abstract string Task { get; }

    /// <summary>The MoCo task type (evaluation.md §2).</summary>
    public abstract string TaskType { get; }

    /// <summary>Draws one dataset item (without id).</summary>
    public abstract JsonObject NextItem(SeededRandom random);

    /// <summary>What makes two items the same question (dev, test and training never share one).</summary>
    public abstract string Key(JsonObject item);

    /// <summary>The response a model should give to <paramref name="item"/>.</summary>
    public abstract string Response(JsonObject item);

    /// <summary>Extra (user message, response) training pairs that are not dataset items (e.g. requests to
    /// comply with beside those to refuse); none by default.</summary>
    public virtual (string Prompt, string Response)? NextExtraPair(SeededRandom random) => null;
}
