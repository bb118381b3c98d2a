using System.Text.Json;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Config;

/// <summary>
/// The method's hyperparameters (config-and-cli.md §1.3–1.5): each written key known (own keys, MoCo.NET extensions,
/// general keys — CFGW01 where the method ignores them — or a documented alias, CFGW02), typed, ranged; required
/// keys present; then defaults filled and the cross-key rules run on the effective values.
/// </summary>
internal static class HyperparameterChecks
{
    // Names that mean the same thing in different methods (§1.5 "sibling names"), suggested across methods.
    private static readonly string[][] Siblings =
    [
        ["round", "rounds", "num_rounds"],
        ["max_iterations", "num_iterations", "iterations"],
        ["inertia", "cognitive_coeff", "cognitive_coefficient", "social_coeff", "social_coefficient", "repel_coeff", "repel_coefficient"],
        ["weight_randomness", "weight_randomness_flag"],
        ["repel_term", "repel_term_flag"],
        ["base_model", "base_model_name"],
    ];

    public static Hyperparameters? Check(JsonElement root, MethodDescriptor method, IReadOnlyList<string>? models, IReadOnlyList<int>? gpuIds,
        string? task, string? taskType, CompatMode compat, ProblemSink sink)
    {
        if (!root.TryGetProperty("hyperparameters", out var written))
        {
            return null;
        }
        if (written.ValueKind != JsonValueKind.Object)
        {
            sink.Error(ConfigCodes.Type, "hyperparameters", $"expected an object, got {JsonValues.Describe(written)}", "write \"hyperparameters\": { … }");
            return null;
        }
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in written.EnumerateObject())
        {
            var path = RuleContext.PathOf(property.Name);
            var key = property.Name;
            if (method.Aliases.TryGetValue(key, out var canonical))
            {
                sink.Warning(ConfigCodes.Alias, path, $"\"{key}\" is the documented name of \"{canonical}\" (the reference ignores it)",
                    $"rename it to \"{canonical}\"");
                if (written.TryGetProperty(canonical, out _))
                {
                    continue;
                }
                key = canonical;
            }
            var spec = method.Key(key);
            if (spec is null)
            {
                sink.UnknownKey(path, $"not a key of {method.Id}", UnknownFix(key, method));
                continue;
            }
            if (method.IgnoredGeneralKeys.Contains(key))
            {
                sink.Warning(ConfigCodes.IgnoredKey, path, $"{method.Id} ignores \"{key}\"", "remove it, or keep it for the reference's other methods");
            }
            if (ValueChecker.Check(spec, property.Value, path, sink) is { } ok)
            {
                values[key] = ok;
            }
        }
        foreach (var spec in method.Keys.Where(k => k.Required && !values.ContainsKey(k.Name) && !written.TryGetProperty(k.Name, out _)))
        {
            sink.Missing("hyperparameters", spec.Name, $"missing required key \"{spec.Name}\" for {method.Id}", RequiredFix(spec, models?.Count));
        }
        ModelCount(method, models, sink);
        TaskTypeFits(method, taskType, sink);
        if (sink.HasErrorAt("hyperparameters") || models is null || gpuIds is null || task is null)
        {
            return null;
        }

        var effective = new List<KeyValuePair<string, JsonElement>>();
        JsonElement Effective(string key) => values.TryGetValue(key, out var v) ? v : effective.FirstOrDefault(p => p.Key == key).Value;
        var context = new DefaultContext(models, gpuIds, task, compat, Effective);
        // General keys first, so derived defaults (fuser_max_response_length = max_response_length) can read them.
        var ordered = method.AllKeys.OrderBy(k => GeneralKeys.Names.Contains(k.Name) ? 0 : 1).ToList();
        foreach (var spec in ordered)
        {
            effective.Add(new(spec.Name, values.TryGetValue(spec.Name, out var v) ? v : spec.Default?.Compute(context) ?? JsonValues.Null));
        }
        var final = method.AllKeys.Select(k => effective.First(p => p.Key == k.Name)).ToList();
        var map = final.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var rules = new RuleContext(method, map, new HashSet<string>(values.Keys, StringComparer.Ordinal), models, taskType, compat, sink);
        foreach (var rule in method.Rules)
        {
            rule(rules);
        }
        return sink.HasErrorAt("hyperparameters") || sink.HasErrorAt("model_names") ? null : new Hyperparameters(written.Clone(), final);
    }

    private static void ModelCount(MethodDescriptor method, IReadOnlyList<string>? models, ProblemSink sink)
    {
        if (models is null)
        {
            return;
        }
        var n = models.Count;
        var distinct = models.Distinct(StringComparer.Ordinal).Count();
        var counted = method.DistinctModels ? distinct : n;
        var wanted = method.MaxModels == method.MinModels ? $"exactly {method.MinModels}"
            : method.MaxModels is { } max ? $"{method.MinModels} to {max}" : $"at least {method.MinModels}";
        if (counted < method.MinModels || (method.MaxModels is { } most && n > most))
        {
            sink.Error(ConfigCodes.CrossKey, "model_names", $"{method.Id} takes {wanted}{(method.DistinctModels ? " distinct" : "")} models, got {counted}",
                $"list {wanted} models in model_names");
        }
        else if (method.DistinctModels && distinct < n)
        {
            sink.Error(ConfigCodes.CrossKey, "model_names", $"{method.Id} needs distinct model names (its log is keyed by name)", "remove the repeated names");
        }
    }

    private static void TaskTypeFits(MethodDescriptor method, string? taskType, ProblemSink sink)
    {
        if (taskType is not null && method.TaskTypes is { } allowed && !allowed.Contains(taskType))
        {
            sink.Error(ConfigCodes.TaskTypeUnfit, "task_type", $"{method.Id} votes on extracted answers and cannot score \"{taskType}\"",
                $"use one of {ValueChecker.Quoted(allowed.Order(StringComparer.Ordinal))}, or another method");
        }
    }

    private static string UnknownFix(string key, MethodDescriptor method)
    {
        var own = method.Keys.Select(k => k.Name).ToList();
        var near = NearMatch.Find(key, own.Concat(GeneralKeys.Names)).ToList();
        foreach (var group in Siblings.Where(g => g.Contains(key)))
        {
            near.AddRange(group.Where(own.Contains).Where(s => !near.Contains(s)));
        }
        var keys = own.Count > 0 ? string.Join(", ", own) : "none";
        return $"{NearMatch.Hint(near)}keys: {keys}; general: {string.Join(", ", GeneralKeys.Names)}";
    }

    private static string RequiredFix(ParamSpec spec, int? n) => spec.Type switch
    {
        ParamType.Enum => $"add \"{spec.Name}\": one of {ValueChecker.Quoted(spec.Values)}",
        ParamType.StringList => $"add \"{spec.Name}\": a list of {n?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "n"} strings, one per model",
        ParamType.Model => $"add \"{spec.Name}\": the model the others were fine-tuned from",
        _ => $"add \"{spec.Name}\"",
    };
}
