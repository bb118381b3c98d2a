using Grpc.Core;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;

namespace MoCo.Evaluator.Views;

/// <summary>Builds views from requests and resolves view ids (evaluation.md §5.1, §5.3): locate the file, read it
/// (cached), check the split against the task type, choose the items.</summary>
public sealed class ViewResolver(DatasetLocator locator, DatasetCache cache)
{
    /// <summary>The file locator.</summary>
    public DatasetLocator Locator { get; } = locator;

    /// <summary>The parsed-file cache.</summary>
    public DatasetCache Cache { get; } = cache;

    /// <summary>The view <paramref name="request"/> describes; INVALID_ARGUMENT listing every item problem when the
    /// split does not fit the task type.</summary>
    public DatasetView Open(ViewRequest request)
    {
        var path = Locator.Locate(request.Task, request.DataDirectories);
        var file = Cache.Load(path, TaskName(request.Task));
        var items = file.Items(request.Split);
        var type = EffectiveType(request, file);
        var report = file.Validate(request.Split, type);
        if (!report.Valid)
        {
            throw new EvaluatorException(StatusCode.InvalidArgument,
                $"{file.FileName}: {report.Errors.Count} problem{(report.Errors.Count == 1 ? "" : "s")} with the {request.Split.Name()} split as {type.Name()}",
                report.Errors);
        }
        var groupField = request.GroupBy ?? file.GroupBy ?? (file.Task == "culturebench" ? "question_id" : null);
        var (indices, selection) = ViewSelection.Select(items.Count, request.Limit, request.LimitSeed,
            groupField is null ? null : i => items[i].Text(groupField));
        return new DatasetView(request, file, type, indices, selection, groupField, report);
    }

    /// <summary>The view of <paramref name="viewId"/>; NOT_FOUND when it is not one of ours, FAILED_PRECONDITION when its
    /// file changed since, both naming <paramref name="field"/>.</summary>
    public DatasetView Resolve(string viewId, string field = "header.view_id")
    {
        var (request, sha) = ViewId.Parse(viewId, field);
        var view = Open(request);
        if (view.File.Sha256 != sha)
        {
            throw EvaluatorException.Single(StatusCode.FailedPrecondition, field, Reasons.ViewChanged,
                $"{view.File.FileName} changed since the view was made (SHA-256 {sha[..12]}… is now {view.File.Sha256[..12]}…)",
                "load the dataset again (LoadDataset) and score against the new view");
        }
        return view;
    }

    private static string TaskName(string task) =>
        task.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(task) : task;

    // The config's task type wins; if absent, the file's (evaluation.md §1.1).
    private static TaskType EffectiveType(ViewRequest request, DatasetFile file)
    {
        if (request.TaskType is { } type)
        {
            return type;
        }
        if (file.DeclaredType is null)
        {
            throw EvaluatorException.Single(StatusCode.InvalidArgument, "task_type", Reasons.MissingField,
                $"{file.FileName} declares no task_type and the request gives none", $"set task_type to one of {TaskTypeNames.Joined}");
        }
        return TaskTypeNames.TryParse(file.DeclaredType, out var declared)
            ? declared
            : throw EvaluatorException.Single(StatusCode.InvalidArgument, "task_type", Reasons.InvalidDataset,
                $"{file.FileName}: task_type \"{file.DeclaredType}\" is not a task type", $"set task_type in the request, or fix the file to one of {TaskTypeNames.Joined}");
    }
}
