using System.Collections.Concurrent;
using Grpc.Core;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;

namespace MoCo.Evaluator.Datasets;

/// <summary>A parsed MoCo dataset file (evaluation.md §1.1): identity, the splits present and their items.
/// Immutable once read; validation reports are computed once per split and task type.</summary>
public sealed class DatasetFile
{
    private readonly ConcurrentDictionary<(DatasetSplit, TaskType), ValidationReport> _reports = new();
    private readonly IReadOnlyList<DatasetItem>? _dev;
    private readonly IReadOnlyList<DatasetItem>? _test;

    internal DatasetFile(string task, string path, string sha256, string? declaredType,
        string? groupBy, IReadOnlyList<DatasetItem>? dev, IReadOnlyList<DatasetItem>? test)
    {
        Task = task;
        Path = path;
        Sha256 = sha256;
        DeclaredType = declaredType;
        GroupBy = groupBy;
        _dev = dev;
        _test = test;
    }

    /// <summary>The task name: the file stem (the file's own `name` is informational).</summary>
    public string Task { get; }

    /// <summary>Absolute path.</summary>
    public string Path { get; }

    /// <summary>File name for messages (`mydata.json: test[17].choices: …`).</summary>
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>Hex SHA-256 of the file's bytes.</summary>
    public string Sha256 { get; }

    /// <summary>The file's `task_type`; null when absent.</summary>
    public string? DeclaredType { get; }

    /// <summary>The file's `group_by` extension (evaluation.md §2.10); null when absent.</summary>
    public string? GroupBy { get; }

    /// <summary>Whether the file has the split.</summary>
    public bool Has(DatasetSplit split) => (split == DatasetSplit.Dev ? _dev : _test) is not null;

    /// <summary>Items of a split present in the file; a missing split is NOT_FOUND.</summary>
    public IReadOnlyList<DatasetItem> Items(DatasetSplit split) =>
        (split == DatasetSplit.Dev ? _dev : _test) ?? throw EvaluatorException.Single(StatusCode.NotFound, "split", Reasons.SplitNotFound,
            $"{FileName} has no {split.Name()} split", $"use a split the file has ({string.Join(", ", Splits.Select(s => s.Name()))})");

    /// <summary>The splits present.</summary>
    public IEnumerable<DatasetSplit> Splits => Enum.GetValues<DatasetSplit>().Where(Has);

    /// <summary>The validation of a split against a task type (cached).</summary>
    public ValidationReport Validate(DatasetSplit split, TaskType type) =>
        _reports.GetOrAdd((split, type), key => DatasetValidator.Validate(this, key.Item1, key.Item2));
}
