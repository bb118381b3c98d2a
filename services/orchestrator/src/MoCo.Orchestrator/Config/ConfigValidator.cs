using System.Text.Json;
using MoCo.Evaluator.Datasets;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Config;

/// <summary>
/// Validates a config before anything loads (config-and-cli.md §1.5), in the spec's order — JSON syntax; top-level
/// keys and types, `evaluation` included; `method`; the method's hyperparameters; the environment (task, models) —
/// and reports every problem at once. A valid config becomes an immutable <see cref="RunConfig"/> with defaults filled.
/// </summary>
public sealed class ConfigValidator(MethodRegistry registry, DatasetCache? datasets = null)
{
    private readonly DatasetCache _datasets = datasets ?? new DatasetCache();

    /// <summary>Validates the file at <paramref name="path"/> (its folder becomes the config directory).</summary>
    public ValidationResult ValidateFile(string path, ValidationOptions options)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ValidationResult(path, [new ConfigProblem(ConfigCodes.Syntax, "", 0, 0, $"cannot read the config: {e.Message}", "check the path")], null);
        }
        return Validate(text, path, options with { ConfigDirectory = options.ConfigDirectory ?? Path.GetDirectoryName(Path.GetFullPath(path)) });
    }

    /// <summary>Validates config text named <paramref name="name"/> for messages.</summary>
    public ValidationResult Validate(string text, string name, ValidationOptions options)
    {
        var (document, syntax) = ConfigDocument.Parse(text, name);
        if (document is null)
        {
            return new ValidationResult(name, syntax, null);
        }
        var sink = new ProblemSink(document, options.AllowUnknownKeys);
        foreach (var problem in syntax)
        {
            sink.Add(problem);
        }
        if (options.SyntaxOnly)
        {
            return new ValidationResult(name, sink.Problems, null);
        }
        var root = document.Root;
        if (root.ValueKind != JsonValueKind.Object)
        {
            sink.Error(ConfigCodes.Type, "", $"expected a JSON object, got {JsonValues.Describe(root)}", "a config is one object with method, task, model_names, …");
            return new ValidationResult(name, sink.Problems, null);
        }

        TopLevelChecks.UnknownKeys(root, sink);
        var task = TopLevelChecks.Task(root, sink);
        var taskType = TopLevelChecks.TaskType(root, sink);
        var gpuIds = TopLevelChecks.GpuIds(root, sink);
        var models = TopLevelChecks.ModelNames(root, sink);
        var compat = options.Compat ?? TopLevelChecks.Compat(root, sink);
        var (seedOk, seed) = TopLevelChecks.Seed(root, sink);
        var device = TopLevelChecks.Device(root, sink);
        var evaluation = EvaluationChecks.Check(root, sink);
        var method = TopLevelChecks.Method(root, registry, sink);
        var hyper = method is null ? null : HyperparameterChecks.Check(root, method, models, gpuIds, task, taskType, compat ?? CompatMode.Moco, sink);

        string? datasetPath = null;
        var typeFromDataset = false;
        if (task is not null && options.ChecksTask && !sink.HasErrorAt("task_type"))
        {
            var dataDirs = (evaluation?.DataDirs ?? []).Select(d => Path.IsPathRooted(d) || options.ConfigDirectory is null ? d : Path.Combine(options.ConfigDirectory, d));
            var search = (options.DataDirectories ?? []).Concat(dataDirs).Concat(options.EnvironmentDataDirectories ?? []).ToList();
            (datasetPath, var effectiveType) = EnvironmentChecks.Task(task, taskType, search, _datasets, sink);
            typeFromDataset = taskType is null && effectiveType is not null;
            taskType ??= effectiveType;
            if (typeFromDataset && method?.TaskTypes is { } allowed && !allowed.Contains(taskType!))
            {
                sink.Error(ConfigCodes.TaskTypeUnfit, "task_type", $"{method.Id} cannot score the dataset's task type \"{taskType}\"",
                    $"use one of {ValueChecker.Quoted(allowed.Order(StringComparer.Ordinal))}, or another method");
            }
        }
        else if (task is not null && taskType is null && !sink.HasErrorAt("task_type"))
        {
            sink.Notice("task_type", "task_type not given: the dataset's own task_type will be used");
        }
        if (options.Models is { } resolver)
        {
            EnvironmentChecks.Models(root, method, hyper, resolver, options.ConfigDirectory, sink);
        }
        if (options.Devices is { } devices && models is not null && gpuIds is not null && device is not null && hyper is not null)
        {
            var placement = DevicePlacement.Place(models.Count, devices.Requested, device, gpuIds, hyper.Bool(Methods.GeneralKeys.BigModelMode),
                devices.CudaDevices, sink);
            if (placement?.Source == "gpu_ids" && method is not null)
            {
                DevicePlacement.CheckIndexKeys(method, hyper, devices.CudaDevices, sink);
            }
        }

        var valid = sink.Problems.All(p => p.Severity != ProblemSeverity.Error);
        if (!valid || method is null || task is null || models is null || gpuIds is null || hyper is null || compat is null || !seedOk
            || device is null || evaluation is null)
        {
            return new ValidationResult(name, sink.Problems, null);
        }
        var config = new RunConfig(method.Id, task, taskType ?? "", gpuIds, models, hyper, compat.Value, seed, device, evaluation, text, name)
        {
            TaskTypeFromDataset = typeFromDataset,
            DatasetPath = datasetPath,
            ConfigDirectory = options.ConfigDirectory,
        };
        return new ValidationResult(name, sink.Problems, config);
    }
}
