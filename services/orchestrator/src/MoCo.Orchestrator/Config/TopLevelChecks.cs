using System.Text.Json;
using System.Text.RegularExpressions;
using MoCo.Evaluator.Tasks;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Config;

/// <summary>The top-level keys of config-and-cli.md §1.1: the six reference keys (task_type optional in MoCo.NET)
/// and the extensions compat, seed, device, evaluation; `$schema` and `_…` keys are ignored.</summary>
internal static partial class TopLevelChecks
{
    public static readonly string[] Required = ["method", "task", "gpu_ids", "model_names", "hyperparameters"];
    public static readonly string[] Known = ["method", "task", "task_type", "gpu_ids", "model_names", "hyperparameters", "compat", "seed", "device", "evaluation"];

    [GeneratedRegex(@"^(auto|cpu|cuda|cuda:\d+(,\d+)*)$")]
    private static partial Regex DevicePattern();

    public static void UnknownKeys(JsonElement root, ProblemSink sink)
    {
        foreach (var property in root.EnumerateObject())
        {
            var name = property.Name;
            if (Known.Contains(name) || name == "$schema" || name.StartsWith('_'))
            {
                continue;
            }
            sink.UnknownKey(name, $"not a config key",
                $"{NearMatch.Hint(NearMatch.Find(name, Known))}keys: {string.Join(", ", Known)} (prefix a comment key with _)");
        }
        foreach (var key in Required.Where(k => !root.TryGetProperty(k, out _)))
        {
            sink.Missing("", key, $"missing required key \"{key}\"", $"add \"{key}\": {RequiredExample(key)}");
        }
    }

    private static string RequiredExample(string key) => key switch
    {
        "method" => "\"text_multiagent_refine\" (`moco validate --list-methods`)",
        "task" => "\"agieval_tiny\" (`moco tasks list`)",
        "gpu_ids" => "[] (auto)",
        "model_names" => "[\"…\"]",
        _ => "{}",
    };

    public static MethodDescriptor? Method(JsonElement root, MethodRegistry registry, ProblemSink sink)
    {
        if (!root.TryGetProperty("method", out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            sink.Error(ConfigCodes.Type, "method", $"expected a string, got {JsonValues.Describe(value)}", "write a method id, e.g. \"method\": \"text_multiagent_refine\"");
            return null;
        }
        var id = value.GetString()!;
        if (registry.Find(id) is { } method)
        {
            return method;
        }
        var count = registry.All.Count;
        if (MethodRegistry.NotMethods.TryGetValue(id, out var why))
        {
            sink.Error(ConfigCodes.UnknownMethod, "method", $"\"{id}\" is {why}", $"name one of the {count} methods; `moco validate --list-methods` lists them");
            return null;
        }
        sink.Error(ConfigCodes.UnknownMethod, "method", $"unknown method \"{id}\"",
            $"{NearMatch.Hint(NearMatch.Find(id, registry.All.Select(m => m.Id)))}`moco validate --list-methods` lists all {count}");
        return null;
    }

    public static string? Task(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("task", out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
        {
            sink.Error(value.ValueKind == JsonValueKind.String ? ConfigCodes.Range : ConfigCodes.Type, "task",
                $"expected a task name, got {JsonValues.Describe(value)}", "write a dataset name, e.g. \"task\": \"agieval_tiny\" (`moco tasks list`)");
            return null;
        }
        return value.GetString();
    }

    public static string? TaskType(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("task_type", out var value))
        {
            return null;
        }
        var names = TaskTypeNames.All.Select(t => t.Name()).ToList();
        if (value.ValueKind != JsonValueKind.String)
        {
            sink.Error(ConfigCodes.Type, "task_type", $"expected a string, got {JsonValues.Describe(value)}", $"write one of {ValueChecker.Quoted(names)}");
            return null;
        }
        var name = value.GetString()!;
        if (!TaskTypeNames.TryParse(name, out _))
        {
            sink.Error(ConfigCodes.Range, "task_type", $"unknown task type \"{name}\"; allowed: {TaskTypeNames.Joined}",
                $"{NearMatch.Hint(NearMatch.Find(name, names))}write one of {ValueChecker.Quoted(names)}, or leave task_type out to use the dataset's");
            return null;
        }
        return name;
    }

    public static IReadOnlyList<int>? GpuIds(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("gpu_ids", out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            sink.Error(ConfigCodes.Type, "gpu_ids", $"expected a list of integers, got {JsonValues.Describe(value)}", "write e.g. \"gpu_ids\": [0, 1], or [] for automatic placement");
            return null;
        }
        var ids = new List<int>();
        var i = 0;
        foreach (var entry in value.EnumerateArray())
        {
            if (JsonValues.TryInt(entry, out var id) && id is >= int.MinValue and <= int.MaxValue)
            {
                ids.Add((int)id);
            }
            else
            {
                sink.Error(ConfigCodes.Type, $"gpu_ids[{i}]", $"expected an integer GPU index, got {JsonValues.Describe(entry)}", "write a whole number (negative = CPU)");
            }
            i++;
        }
        return ids;
    }

    public static IReadOnlyList<string>? ModelNames(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("model_names", out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            sink.Error(ConfigCodes.Type, "model_names", $"expected a list of model names, got {JsonValues.Describe(value)}", "write e.g. \"model_names\": [\"Qwen/Qwen2.5-7B-Instruct\"]");
            return null;
        }
        if (value.GetArrayLength() == 0)
        {
            sink.Error(ConfigCodes.Range, "model_names", "expected at least 1 model, got []", "name at least one model (hub id, catalogue name or folder)");
            return null;
        }
        var names = new List<string>();
        var ok = true;
        var i = 0;
        foreach (var entry in value.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.String && entry.GetString()!.Trim().Length > 0)
            {
                names.Add(entry.GetString()!);
            }
            else
            {
                ok = false;
                sink.Error(entry.ValueKind == JsonValueKind.String ? ConfigCodes.Range : ConfigCodes.Type, $"model_names[{i}]",
                    $"expected a model name, got {JsonValues.Describe(entry)}", "write a hub id, a catalogue name or a model folder");
            }
            i++;
        }
        return ok ? names : null;
    }

    public static CompatMode? Compat(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("compat", out var value))
        {
            return CompatMode.Moco;
        }
        switch (value.ValueKind == JsonValueKind.String ? value.GetString() : null)
        {
            case "moco":
                return CompatMode.Moco;
            case "reference":
                return CompatMode.Reference;
            default:
                sink.Error(value.ValueKind == JsonValueKind.String ? ConfigCodes.Range : ConfigCodes.Type, "compat",
                    $"expected \"moco\" or \"reference\", got {JsonValues.Describe(value)}", "write \"compat\": \"moco\" (fixes) or \"reference\" (reproduce the reference)");
                return null;
        }
    }

    public static (bool Ok, ulong? Seed) Seed(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("seed", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return (true, null);
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var seed))
        {
            return (true, seed);
        }
        if (JsonValues.TryInt(value, out var integral) && integral >= 0)
        {
            return (true, (ulong)integral);
        }
        sink.Error(JsonValues.TryInt(value, out _) ? ConfigCodes.Range : ConfigCodes.Type, "seed",
            $"expected a whole number >= 0, got {JsonValues.Describe(value)}", "write e.g. \"seed\": 1234, or leave it out to draw one");
        return (false, null);
    }

    public static string? Device(JsonElement root, ProblemSink sink)
    {
        if (!root.TryGetProperty("device", out var value))
        {
            return "auto";
        }
        if (value.ValueKind == JsonValueKind.String && DevicePattern().IsMatch(value.GetString()!))
        {
            return value.GetString();
        }
        sink.Error(value.ValueKind == JsonValueKind.String ? ConfigCodes.Range : ConfigCodes.Type, "device",
            $"expected auto, cpu, cuda, cuda:N or cuda:N,M, got {JsonValues.Describe(value)}", "write e.g. \"device\": \"cuda:0\"");
        return null;
    }
}
