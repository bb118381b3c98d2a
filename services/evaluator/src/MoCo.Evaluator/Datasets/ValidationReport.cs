using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Datasets;

/// <summary>A dataset warning (evaluation.md §1.3): never stops a run.</summary>
/// <param name="Index">0-based item index; null = about the whole file.</param>
/// <param name="Field">The field concerned, e.g. "choices.D".</param>
/// <param name="Code">Warning code, e.g. option_null.</param>
/// <param name="Message">What it means for scoring.</param>
public sealed record DatasetWarning(int? Index, string Field, string Code, string Message);

/// <summary>The check of one split against one task type: errors (the split cannot be scored as that type) and
/// warnings.</summary>
/// <param name="Errors">One problem per item and field, in item order.</param>
/// <param name="Warnings">Warnings in item order.</param>
public sealed record ValidationReport(IReadOnlyList<Problem> Errors, IReadOnlyList<DatasetWarning> Warnings)
{
    /// <summary>True when the split fits the task type.</summary>
    public bool Valid => Errors.Count == 0;
}
