using Grpc.Core;
using MoCo.Evaluator.Errors;
using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Datasets;

/// <summary>
/// Finds dataset files (evaluation.md §1.1, config-and-cli.md §6): task `gsm8k` is `gsm8k.json` in the first folder
/// of the search path that has it — the request's folders, then the service's own path (configured folders,
/// MOCO_DATA_DIR, $MOCO_HOME/data, the bundled data). A task ending in `.json` is a path.
/// </summary>
public sealed class DatasetLocator(IReadOnlyList<string> serviceDirectories)
{
    /// <summary>The service's own folders, searched after a request's.</summary>
    public IReadOnlyList<string> ServiceDirectories { get; } = serviceDirectories;

    /// <summary>The search path of a request: its folders first, then the service's; duplicates dropped.</summary>
    public IReadOnlyList<string> SearchPath(IEnumerable<string> requestDirectories) =>
        requestDirectories.Concat(ServiceDirectories).Where(d => !string.IsNullOrWhiteSpace(d))
            .Select(d => Path.GetFullPath(d)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The file of <paramref name="task"/>; NOT_FOUND naming the folders searched and near names.</summary>
    public string Locate(string task, IEnumerable<string> requestDirectories)
    {
        var path = SearchPath(requestDirectories);
        if (task.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var full = Path.GetFullPath(task);
            return File.Exists(full) ? full : throw NotFound(task, $"no file {full}", "check the path, or name a task of the data path without .json");
        }
        if (task.Length == 0 || task.IndexOfAny(['/', '\\']) >= 0 || task is "." or "..")
        {
            throw EvaluatorException.Single(StatusCode.InvalidArgument, "task", Reasons.InvalidValue,
                $"\"{task}\" is not a task name", "give a file stem such as gsm8k, or a path ending in .json");
        }
        foreach (var directory in path)
        {
            var candidate = Path.Combine(directory, task + ".json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        var hint = NearMatch.Hint(NearMatch.Find(task, Enumerate(path).Select(t => t.Task)));
        throw NotFound(task, $"no dataset \"{task}\" in {(path.Count == 0 ? "an empty data path" : string.Join(", ", path))}",
            hint + "set --data-dir or MOCO_DATA_DIR; see `moco tasks list`");
    }

    /// <summary>Every dataset of the search path, by task name; the first folder that has a name wins.</summary>
    public IReadOnlyList<(string Task, string Path)> Enumerate(IReadOnlyList<string> searchPath)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var directory in searchPath.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                var task = Path.GetFileNameWithoutExtension(file);
                // catalogue.json describes models, not a dataset (config-and-cli.md §2.2).
                if (task != "catalogue")
                {
                    found.TryAdd(task, file);
                }
            }
        }
        return found.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)).ToList();
    }

    private static EvaluatorException NotFound(string task, string what, string fix) =>
        EvaluatorException.Single(StatusCode.NotFound, "task", Reasons.TaskNotFound, what, fix,
            new Dictionary<string, string> { ["task"] = task });
}
