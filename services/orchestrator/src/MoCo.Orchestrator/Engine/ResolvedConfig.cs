using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Engine;

/// <summary>config.resolved.json (config-and-cli.md §3.4): the config with every default filled, plus what it resolved
/// to — dataset file, seed, limit, models as written (the inference service resolves their folders).</summary>
public static class ResolvedConfig
{
    /// <summary>The resolved config of a run; <paramref name="replicas"/> say where an embedded run's models ran (§2.3),
    /// null when a cluster placed them.</summary>
    public static JsonObject Build(RunConfig config, ulong seed, int? limit, ulong? limitSeed, ReplicaPlan? replicas = null)
    {
        var hyperparameters = new JsonObject();
        foreach (var (key, value) in config.Hyperparameters.Effective)
        {
            hyperparameters[key] = JsonNode.Parse(value.GetRawText());
        }
        return new JsonObject
        {
            ["method"] = config.Method,
            ["task"] = config.Task,
            ["task_type"] = config.TaskType,
            ["gpu_ids"] = new JsonArray([.. config.GpuIds.Select(g => (JsonNode?)JsonValue.Create(g))]),
            ["seed"] = seed,
            ["compat"] = config.Compat.Name(),
            ["device"] = config.Device,
            ["limit"] = limit,
            ["limit_seed"] = limitSeed,
            ["data"] = new JsonObject { ["file"] = config.DatasetPath },
            ["models"] = new JsonArray([.. config.ModelNames.Select(m => (JsonNode)(replicas?.DeviceOf(m) is { } device ? new JsonObject { ["name"] = m, ["device"] = device } : new JsonObject { ["name"] = m }))]),
            ["hyperparameters"] = hyperparameters,
        };
    }
}
