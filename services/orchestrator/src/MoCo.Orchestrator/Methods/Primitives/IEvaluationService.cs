namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Whether outputs are raw model text or answers already extracted (majority vote).</summary>
public enum OutputKind
{
    /// <summary>Raw generations; the evaluator extracts.</summary>
    Raw,
    /// <summary>Pre-extracted answers.</summary>
    Extracted,
}

/// <summary>One item's evaluation: score (null = unscorable) and parsed answer (methods-text.md §0.7 Score, Parse).</summary>
public sealed record ItemScore(int Index, double? Score, string? Parsed, IReadOnlyList<string> Flags);

/// <summary>Per-item scores and their mean.</summary>
public sealed record SplitScore(IReadOnlyList<ItemScore> Items, double Mean);

/// <summary>The evaluator (evaluation.md §5.1): Evaluate on a split's view, outputs addressed by item index.</summary>
public interface IEvaluationService
{
    /// <summary>Scores <paramref name="outputs"/> (one per item of <paramref name="split"/>, in order); a null output is
    /// scored as "" with flag empty_output (majority vote's all-null items).</summary>
    Task<SplitScore> ScoreAsync(TaskSplit split, IReadOnlyList<string?> outputs, OutputKind kind, CancellationToken cancellationToken);

    /// <summary>Parses without scoring (Evaluate's extract_only).</summary>
    Task<IReadOnlyList<string?>> ParseAsync(TaskSplit split, IReadOnlyList<string> outputs, CancellationToken cancellationToken);
}
