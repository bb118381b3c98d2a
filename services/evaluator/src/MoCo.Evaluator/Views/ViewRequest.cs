using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;
using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Views;

/// <summary>The fields that define a view (LoadDatasetRequest minus include_gold), validated.</summary>
/// <param name="Task">Task name or path ending in .json.</param>
/// <param name="Split">The split.</param>
/// <param name="TaskType">Explicit task type; null = the file's.</param>
/// <param name="Limit">First N (or a sample of N); null = all.</param>
/// <param name="LimitSeed">Sample seed; null = prefix.</param>
/// <param name="GroupBy">Grouping field; null = the file's rule.</param>
/// <param name="DataDirectories">Folders searched first.</param>
public sealed record ViewRequest(string Task, DatasetSplit Split, TaskType? TaskType, int? Limit, ulong? LimitSeed, string? GroupBy,
    IReadOnlyList<string> DataDirectories)
{
    /// <summary>Validates a LoadDataset request (or an Evaluate header's dataset fields); every problem is listed.</summary>
    public static ViewRequest From(LoadDatasetRequest request, string fieldPrefix = "")
    {
        var problems = new List<Problem>();
        if (request.ViewId.Length > 0)
        {
            // Only an Evaluate header's dataset gets here with one: LoadDataset resolves its view_id before.
            problems.Add(Problem(fieldPrefix + "view_id", Reasons.InvalidValue, "a view id inside the dataset fields",
                "set header.view_id instead of header.dataset"));
        }
        if (string.IsNullOrWhiteSpace(request.Task))
        {
            problems.Add(Problem(fieldPrefix + "task", Reasons.MissingField, "task is empty", "name a dataset, e.g. gsm8k (see `moco tasks list`)"));
        }
        if (request.Split is not (Contracts.V1.Split.Dev or Contracts.V1.Split.Test))
        {
            problems.Add(Problem(fieldPrefix + "split", Reasons.MissingField, "split is unset: a request must name its split", "set split to SPLIT_DEV or SPLIT_TEST"));
        }
        TaskType? type = null;
        if (request.TaskType is { } name)
        {
            if (TaskTypeNames.TryParse(name, out var parsed))
            {
                type = parsed;
            }
            else
            {
                problems.Add(Problem(fieldPrefix + "task_type", Reasons.InvalidValue, $"unknown task type \"{name}\"", $"use one of {TaskTypeNames.Joined}"));
            }
        }
        if (request.Limit is < 1)
        {
            problems.Add(Problem(fieldPrefix + "limit", Reasons.InvalidValue, $"limit must be ≥ 1, got {request.Limit}", "unset limit for all items, or give a positive count"));
        }
        if (request.GroupBy is { Length: 0 })
        {
            problems.Add(Problem(fieldPrefix + "group_by", Reasons.InvalidValue, "group_by is empty", "unset group_by, or name an item field"));
        }
        if (problems.Count > 0)
        {
            throw new EvaluatorException(StatusCode.InvalidArgument, "invalid dataset request", problems);
        }
        return new ViewRequest(request.Task.Trim(), request.Split == Contracts.V1.Split.Dev ? DatasetSplit.Dev : DatasetSplit.Test,
            type, request.Limit, request.LimitSeed, request.GroupBy, [.. request.DataDirs]);
    }

    private static Problem Problem(string field, string reason, string description, string fix) =>
        new(field, reason, description, new Dictionary<string, string> { ["fix"] = fix });
}
