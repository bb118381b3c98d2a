using System.Text.Json;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Config;

/// <summary>The `evaluation` object (config-and-cli.md §1.1; evaluation.md §5.4): every sub-key optional, an unknown
/// one CFG005, each typed and ranged like a hyperparameter.</summary>
internal static class EvaluationChecks
{
    private static readonly ParamSpec[] Keys =
    [
        new("data_dirs", ParamType.StringList) { Default = ParamDefault.Constant(Array.Empty<string>()) },
        new("limit", ParamType.Int) { Default = ParamDefault.Null, Nullable = true, Min = 1 },
        new("limit_seed", ParamType.Int) { Default = ParamDefault.Null, Nullable = true, Min = 0 },
        new("group_by", ParamType.String) { Default = ParamDefault.Null, Nullable = true },
        P.Model("verifier.model", "TIGER-Lab/general-verifier"),
        P.Model("reward_model.model", "Skywork/Skywork-Reward-Llama-3.1-8B-v0.2"),
        P.Enum("reward_model.kind", "classifier", "classifier", "judge"),
        P.Model("diversity.encoder", "FacebookAI/roberta-base"),
        new("sandbox.python", ParamType.Path) { Default = ParamDefault.Null, Nullable = true },
        new("sandbox.max_parallel", ParamType.Int) { Default = ParamDefault.Null, Min = 1 },
        P.Bool("sandbox.allow_weak_isolation", false),
        P.Num("sandbox.timeout_s", 10, min: 0, minExclusive: true),
        P.Num("sandbox.cpu_s", 10, min: 0, minExclusive: true),
        P.Int("sandbox.memory_mb", 512, min: 1),
        P.Int("sandbox.file_mb", 5, min: 1),
        P.Int("sandbox.max_files", 64, min: 1),
        P.Int("sandbox.max_procs", 4, min: 1),
    ];

    private static readonly string[] Groups = ["verifier", "reward_model", "diversity", "sandbox"];

    public static EvaluationOptions? Check(JsonElement root, ProblemSink sink)
    {
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (root.TryGetProperty("evaluation", out var evaluation))
        {
            if (evaluation.ValueKind != JsonValueKind.Object)
            {
                sink.Error(ConfigCodes.Type, "evaluation", $"expected an object, got {JsonValues.Describe(evaluation)}", "write e.g. \"evaluation\": {\"limit\": 20}");
                return null;
            }
            Walk(evaluation, "", values, sink);
        }
        if (sink.HasErrorAt("evaluation"))
        {
            return null;
        }
        JsonElement Get(string key) => values.TryGetValue(key, out var v) ? v : Keys.First(k => k.Name == key).Default!.Compute(null!);
        int? OptionalInt(string key) => Get(key).ValueKind == JsonValueKind.Null ? null : (int)Math.Min(Get(key).GetInt64(), int.MaxValue);
        string? OptionalString(string key) => Get(key).ValueKind == JsonValueKind.Null ? null : Get(key).GetString();
        return new EvaluationOptions(
            [.. Get("data_dirs").EnumerateArray().Select(e => e.GetString()!)],
            OptionalInt("limit"),
            Get("limit_seed").ValueKind == JsonValueKind.Null ? null : (ulong)Get("limit_seed").GetInt64(),
            OptionalString("group_by"),
            Get("verifier.model").GetString()!,
            Get("reward_model.model").GetString()!,
            Get("reward_model.kind").GetString()!,
            Get("diversity.encoder").GetString()!,
            new SandboxOptions(OptionalString("sandbox.python"), OptionalInt("sandbox.max_parallel"), Get("sandbox.allow_weak_isolation").GetBoolean(),
                Get("sandbox.timeout_s").GetDouble(), Get("sandbox.cpu_s").GetDouble(), (int)Get("sandbox.memory_mb").GetInt64(),
                (int)Get("sandbox.file_mb").GetInt64(), (int)Get("sandbox.max_files").GetInt64(), (int)Get("sandbox.max_procs").GetInt64()));
    }

    private static void Walk(JsonElement obj, string prefix, Dictionary<string, JsonElement> values, ProblemSink sink)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var name = prefix + property.Name;
            var path = "evaluation." + name;
            if (prefix.Length == 0 && Groups.Contains(property.Name))
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    sink.Error(ConfigCodes.Type, path, $"expected an object, got {JsonValues.Describe(property.Value)}",
                        $"write e.g. \"{property.Name}\": {{\"{Keys.First(k => k.Name.StartsWith(name + ".", StringComparison.Ordinal)).Name[(name.Length + 1)..]}\": …}}");
                    continue;
                }
                Walk(property.Value, name + ".", values, sink);
                continue;
            }
            var spec = Keys.FirstOrDefault(k => k.Name == name);
            if (spec is null)
            {
                var siblings = Keys.Select(k => k.Name).Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..])
                    .Select(k => prefix.Length == 0 && k.Contains('.') ? k[..k.IndexOf('.')] : k).Distinct().ToList();
                sink.UnknownKey(path, $"not a key of evaluation{(prefix.Length > 0 ? "." + prefix.TrimEnd('.') : "")}",
                    $"{NearMatch.Hint(NearMatch.Find(property.Name, siblings))}keys: {string.Join(", ", siblings)}");
                continue;
            }
            if (ValueChecker.Check(spec with { Name = property.Name }, property.Value, path, sink) is { } ok)
            {
                values[name] = ok;
            }
        }
    }
}
