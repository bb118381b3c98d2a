using System.Text.Json;
using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Tests.Support;

/// <summary>The shared MoCo datasets: MOCO_DATA_DIR, else ../shared/datasets/moco beside the repository root
/// (config-and-cli.md §6). Tests address items by index or id at run time; no dataset content is copied here.</summary>
public static class TestData
{
    /// <summary>The dataset folder, as a full path without `..` segments (the service reports files that way, and
    /// scripts/test sets MOCO_DATA_DIR to `$repo/../shared/...`).</summary>
    public static string Directory { get; } = Path.GetFullPath(Find());

    private static readonly DatasetCache Cache = new();

    /// <summary>A bundled dataset file.</summary>
    public static DatasetFile File(string task) => Cache.Load(Path.Combine(Directory, task + ".json"), task);

    /// <summary>An item of a bundled dataset by split and index.</summary>
    public static DatasetItem Item(string task, DatasetSplit split, int index) => File(task).Items(split)[index];

    /// <summary>An item of a bundled dataset by id (searching both splits).</summary>
    public static DatasetItem ById(string task, string id) =>
        File(task).Splits.SelectMany(s => File(task).Items(s)).First(i => i.Id == id);

    /// <summary>A hand-made item from JSON.</summary>
    public static DatasetItem Inline(string json, int index = 0)
    {
        using var doc = JsonDocument.Parse(json);
        return new DatasetItem(index, doc.RootElement.Clone());
    }

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("MOCO_DATA_DIR") is { Length: > 0 } fromEnvironment)
        {
            return MoCo.Hosting.MocoEnvironment.SplitPath(fromEnvironment).First();
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "MoCo.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets", "moco"));
            }
        }
        throw new InvalidOperationException("cannot find the repository root: set MOCO_DATA_DIR to the MoCo datasets folder");
    }
}
