using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Views;

namespace MoCo.Evaluator.Service;

/// <summary>The datasets of a data path as ListTasks and `moco tasks list` show them: file, declared type, split
/// sizes, the task types every item fits, warning count and the §3.4 status.</summary>
public sealed class DatasetCatalog(ViewResolver views)
{
    /// <summary>Every dataset of the search path made of <paramref name="dataDirectories"/> and the service's own
    /// folders, by task name (the first folder that has a name wins).</summary>
    public IReadOnlyList<DatasetSummary> List(IEnumerable<string> dataDirectories) =>
        [.. views.Locator.Enumerate(views.Locator.SearchPath(dataDirectories)).Select(d => Summary(d.Task, d.Path))];

    /// <summary>One dataset's summary; an unreadable file is listed with the reason as its status.</summary>
    public DatasetSummary Summary(string task, string path)
    {
        DatasetFile file;
        try
        {
            file = views.Cache.Load(path, task);
        }
        catch (EvaluatorException e)
        {
            return new DatasetSummary { Task = task, File = path, Status = "unreadable: " + e.Message.Split('\n')[0] };
        }
        var summary = new DatasetSummary
        {
            Task = task,
            File = file.Path,
            DeclaredType = file.DeclaredType ?? "",
            NDev = file.Has(DatasetSplit.Dev) ? file.Items(DatasetSplit.Dev).Count : 0,
            NTest = file.Has(DatasetSplit.Test) ? file.Items(DatasetSplit.Test).Count : 0,
        };
        summary.CompatibleTypes.Add(TaskTypeNames.All.Where(t => file.Splits.All(s => file.Validate(s, t).Valid)).Select(t => t.Name()));
        if (TaskTypeNames.TryParse(file.DeclaredType, out var declared))
        {
            summary.WarningCount = file.Splits.Sum(s => file.Validate(s, declared).Warnings.Count);
            summary.Status = TaskTypeSpec.Of(declared).OfflineStatus;
        }
        else
        {
            summary.Status = file.DeclaredType is null ? "no task_type: name one in the config" : $"unknown task_type \"{file.DeclaredType}\"";
        }
        return summary;
    }
}
