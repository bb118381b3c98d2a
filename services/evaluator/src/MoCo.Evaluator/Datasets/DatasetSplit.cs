namespace MoCo.Evaluator.Datasets;

/// <summary>A dataset split (evaluation.md §1.1).</summary>
public enum DatasetSplit
{
    /// <summary>The dev split: selection, training and search.</summary>
    Dev,
    /// <summary>The test split: final scores.</summary>
    Test,
}

/// <summary>Names of <see cref="DatasetSplit"/> as the files spell them.</summary>
public static class DatasetSplitNames
{
    /// <summary>"dev" or "test".</summary>
    public static string Name(this DatasetSplit split) => split == DatasetSplit.Dev ? "dev" : "test";
}
