using System.Text.Json;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;
using MoCo.Models.Catalog;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Config;

/// <summary>The environment checks of config-and-cli.md §1.5 that need no running model: the task found by the
/// evaluator's own locator and reader with a non-empty test split whose items fit the task type (CFG007, CFG008), and
/// every written model name resolvable offline (CFG009).</summary>
internal static class EnvironmentChecks
{
    private const int MaxListedItemProblems = 3;

    /// <summary>Finds and checks the dataset; returns (path, effective task type) or nulls.</summary>
    public static (string? Path, string? TaskType) Task(string task, string? taskType, IReadOnlyList<string> searchPath, DatasetCache cache,
        ProblemSink sink)
    {
        string path;
        DatasetFile file;
        try
        {
            path = new DatasetLocator(searchPath).Locate(task, []);
            file = cache.Load(path, Path.GetFileNameWithoutExtension(path));
        }
        catch (EvaluatorException e)
        {
            var problem = e.Problems.FirstOrDefault();
            var fix = problem?.Metadata?.GetValueOrDefault("fix") ?? "see `moco tasks list`";
            sink.Error(ConfigCodes.UnknownTask, "task", problem?.Description ?? e.Summary, fix);
            return (null, null);
        }
        if (!file.Has(DatasetSplit.Test) || file.Items(DatasetSplit.Test).Count == 0)
        {
            sink.Error(ConfigCodes.UnknownTask, "task", $"{file.FileName} has no test items", "use a dataset with a non-empty test split");
            return (path, null);
        }
        var effective = taskType;
        if (effective is null)
        {
            if (!TaskTypeNames.TryParse(file.DeclaredType, out _))
            {
                sink.Missing("", "task_type", $"missing key \"task_type\" and {file.FileName} declares none", $"add \"task_type\": one of {ValueChecker.Quoted(TaskTypeNames.All.Select(t => t.Name()))}");
                return (path, null);
            }
            effective = file.DeclaredType!;
            sink.Notice("task_type", $"task_type not given: using {file.FileName}'s \"{effective}\"");
        }
        TaskTypeNames.TryParse(effective, out var type);
        foreach (var split in file.Splits)
        {
            var report = file.Validate(split, type);
            if (report.Valid)
            {
                continue;
            }
            var listed = string.Join("; ", report.Errors.Take(MaxListedItemProblems).Select(p => p.Description));
            var more = report.Errors.Count > MaxListedItemProblems ? $" … and {report.Errors.Count - MaxListedItemProblems} more" : "";
            sink.Error(ConfigCodes.TaskTypeUnfit, "task_type", $"{file.FileName} {split.Name()} items do not fit \"{effective}\": {listed}{more}",
                $"use a task type the dataset fits (`moco tasks list` shows them), or fix the dataset");
            break;
        }
        return (path, effective);
    }

    /// <summary>Resolves model_names, every written model-valued key and the implied defaults the run loads
    /// (<see cref="ParamSpec.LoadedByDefault"/>, from <paramref name="effective"/>); CFG009 listing where it looked.</summary>
    public static void Models(JsonElement root, MethodDescriptor? method, Hyperparameters? effective, ModelResolver resolver, string? configDirectory, ProblemSink sink)
    {
        var names = new List<(string Path, string Name)>();
        if (root.TryGetProperty("model_names", out var models) && models.ValueKind == JsonValueKind.Array)
        {
            names.AddRange(models.EnumerateArray().Select((m, i) => ($"model_names[{i}]", m.ValueKind == JsonValueKind.String ? m.GetString()! : "")));
        }
        if (method is not null && root.TryGetProperty("hyperparameters", out var hyper) && hyper.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in hyper.EnumerateObject())
            {
                var spec = method.Key(method.Aliases.GetValueOrDefault(property.Name, property.Name));
                if (spec?.Type == ParamType.Model && property.Value.ValueKind == JsonValueKind.String)
                {
                    names.Add((RuleContext.PathOf(property.Name), property.Value.GetString()!));
                }
                else if (spec?.Type == ParamType.ModelList && property.Value.ValueKind == JsonValueKind.Array)
                {
                    names.AddRange(property.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String)
                        .Select((e, i) => ($"{RuleContext.PathOf(property.Name)}[{i}]", e.GetString()!)));
                }
            }
        }
        foreach (var spec in method?.Keys.Where(k => k.LoadedByDefault) ?? [])
        {
            if (effective is not null && !names.Any(n => n.Path == RuleContext.PathOf(spec.Name)) && effective[spec.Name].ValueKind == JsonValueKind.String)
            {
                names.Add((RuleContext.PathOf(spec.Name), effective[spec.Name].GetString()!));
            }
        }
        foreach (var (path, name) in names.Where(n => n.Name.Trim().Length > 0 && !sink.HasErrorAt(n.Path)))
        {
            ModelResolution resolution;
            try
            {
                resolution = resolver.Resolve(name, configDirectory);
            }
            catch (InvalidDataException e)
            {
                sink.Error(ConfigCodes.Model, path, e.Message, "fix the catalogue.json it names");
                continue;
            }
            if (!resolution.Found)
            {
                var places = string.Join(", ", resolution.Trace.Select(t => t.Rule).Distinct());
                sink.Error(ConfigCodes.Model, path, $"\"{name}\" not found in {places}",
                    $"moco models pull-from-dir <dir> --name \"{name}\"  (nothing is downloaded)");
            }
        }
    }
}
