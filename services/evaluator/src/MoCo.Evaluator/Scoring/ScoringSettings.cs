using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>What every scorer of one Evaluate call reads from its header and view.</summary>
/// <param name="Mode">Compat mode.</param>
/// <param name="Extracted">Outputs are already-extracted answers (INPUT_KIND_EXTRACTED): compared directly.</param>
/// <param name="ExtractOnly">Only parse; no score.</param>
/// <param name="Task">Task name (file stem): the reference keys quirks on it (popqa, culturebench).</param>
/// <param name="Split">The view's split.</param>
/// <param name="FileSha256">The dataset file's hash: with the split and index it identifies an item for caches.</param>
public sealed record ScoringSettings(CompatMode Mode, bool Extracted, bool ExtractOnly, string Task, DatasetSplit Split, string FileSha256)
{
    /// <summary>A stable key of one item, for judge caches.</summary>
    public string ItemKey(DatasetItem item) => $"{FileSha256}/{Split.Name()}/{item.Index}";
}
