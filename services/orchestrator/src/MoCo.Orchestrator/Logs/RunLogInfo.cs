using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Logs;

/// <summary>The MoCo.NET facts of a run for its logs (config-and-cli.md §3.4): the log's `moco` object and run.json.</summary>
public sealed record RunLogInfo(
    string RunId,
    string MocoVersion,
    string Method,
    string Compat,
    ulong Seed,
    string Device,
    int? Limit,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    long CompletionTokens,
    IReadOnlyList<KeyValuePair<string, long>> ModelCalls,
    string Status,
    bool Partial)
{
    /// <summary>Each distinct model alone on test (run.json `baselines`, config-and-cli.md §4.3).</summary>
    public IReadOnlyList<Methods.ModelBaseline> Baselines { get; init; } = [];

    /// <summary>"embedded" or "server" (run.json `mode`).</summary>
    public string Mode { get; init; } = "embedded";

    /// <summary>Wall time, seconds.</summary>
    public double WallSeconds => (FinishedAt - StartedAt).TotalSeconds;

    /// <summary>The log's `moco` object, in the order of the §3.4 example, then method details.</summary>
    public JsonObject MocoObject(JsonObject details)
    {
        var calls = new JsonObject();
        foreach (var (model, count) in ModelCalls)
        {
            calls[model] = count;
        }
        var moco = new JsonObject
        {
            ["version"] = MocoVersion,
            ["method"] = Method,
            ["compat"] = Compat,
            ["run_id"] = RunId,
            ["seed"] = Seed,
            ["device"] = Device,
            ["limit"] = Limit,
            ["started_at"] = RunLogWriter.Utc(StartedAt),
            ["wall_s"] = Math.Round(WallSeconds, 1),
            ["completion_tokens"] = CompletionTokens,
            ["tokens_per_s"] = WallSeconds > 0 ? Math.Round(CompletionTokens / WallSeconds, 1) : 0.0,
            ["model_calls"] = calls,
            ["run_dir"] = $"moco/{RunId}",
        };
        foreach (var (key, value) in details)
        {
            moco[key] = value?.DeepClone();
        }
        return moco;
    }
}
