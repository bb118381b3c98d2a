using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Logs;

/// <summary>Options of the log writer (config-and-cli.md §4.1): `--overwrite-logs`, `--strict-reference-logs`.</summary>
public sealed record LogWriteOptions(bool OverwriteLogs = false, bool StrictReferenceLogs = false);

/// <summary>What was written: the top-level reference log relative to the log folder (null when not written), every
/// file written, and warnings (an existing different log kept).</summary>
public sealed record LogWriteResult(string? ReferenceLog, IReadOnlyList<string> Files, IReadOnlyList<string> Warnings);

/// <summary>
/// Writes a run's logs in the layout of config-and-cli.md §3.4: `moco/&lt;run_id&gt;/` holds the reference summary (always),
/// config.json (as given), config.resolved.json, run.json and items.jsonl; the top-level reference summary is written
/// last, atomically (temp + rename), only for a successful, complete run, and never over a different existing file
/// unless overwriting is asked.
/// </summary>
public sealed class RunLogWriter(string logDirectory)
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    /// <summary>The log folder.</summary>
    public string LogDirectory { get; } = logDirectory;

    /// <summary>Writes every file of a finished run.</summary>
    /// <param name="config">The validated config.</param>
    /// <param name="suffix">The method's log suffix.</param>
    /// <param name="outcome">The method's summary and score.</param>
    /// <param name="info">Run facts for the `moco` object and run.json.</param>
    /// <param name="items">Finished items (items.jsonl), in store order.</param>
    /// <param name="phases">Phases (run.json).</param>
    /// <param name="resolvedConfig">config.resolved.json content.</param>
    /// <param name="options">Overwrite and strictness options.</param>
    public LogWriteResult Write(RunConfig config, string suffix, MethodOutcome outcome, RunLogInfo info, IReadOnlyList<ItemRecord> items,
        IReadOnlyList<PhaseRecord> phases, JsonObject resolvedConfig, LogWriteOptions options)
    {
        var runDir = Path.Combine(LogDirectory, "moco", info.RunId);
        Directory.CreateDirectory(runDir);
        var files = new List<string>();
        var warnings = new List<string>();

        var deferral = config.Method == "api_collm" ? config.Hyperparameters.Number("deferral_threshold") : 0.5;
        var name = LogFileName.For(config.Method, suffix, config.Task, config.ModelNames, outcome.TestScore, deferral);
        var summary = (JsonObject)outcome.Summary.DeepClone();
        if (!options.StrictReferenceLogs)
        {
            summary["moco"] = info.MocoObject(outcome.MocoDetails);
        }
        // text_sparta writes UTF-8 with only quotes, backslashes and control characters escaped (§3.1).
        var text = PyJsonWriter.Serialize(summary, ensureAscii: config.Method != "text_sparta");

        WriteAtomic(Path.Combine(runDir, "config.json"), config.ConfigText, files);
        WriteAtomic(Path.Combine(runDir, "config.resolved.json"), resolvedConfig.ToJsonString(Indented), files);
        WriteAtomic(Path.Combine(runDir, "items.jsonl"), ItemsJsonl(info.RunId, items), files);
        WriteAtomic(Path.Combine(runDir, name), text, files);

        string? referenceLog = null;
        if (info.Status == "succeeded" && !info.Partial)
        {
            var top = Path.Combine(LogDirectory, name);
            if (File.Exists(top) && File.ReadAllText(top) != text && !options.OverwriteLogs)
            {
                warnings.Add($"{top} exists with other content and was kept; this run's log is {Path.Combine(runDir, name)} (--overwrite-logs replaces it)");
            }
            else
            {
                if (File.Exists(top) && options.OverwriteLogs && File.ReadAllText(top) != text)
                {
                    warnings.Add($"{top} was overwritten; this run's copy is also in {Path.Combine(runDir, name)}");
                }
                WriteAtomic(top, text, files);
                referenceLog = name;
            }
        }
        var runJson = RunJson(config, outcome, info, phases, referenceLog, warnings);
        WriteAtomic(Path.Combine(runDir, "run.json"), runJson.ToJsonString(Indented), files);
        return new LogWriteResult(referenceLog, files, warnings);
    }

    /// <summary>items.jsonl: one compact JSON object per item (§3.4).</summary>
    public static string ItemsJsonl(string runId, IReadOnlyList<ItemRecord> items)
    {
        var sb = new StringBuilder();
        foreach (var item in items)
        {
            var line = new JsonObject
            {
                ["run_id"] = runId,
                ["phase"] = item.Phase,
                ["split"] = item.Split,
                ["index"] = item.Index,
                // Dataset ids are mostly integers; keep them numeric as the dataset has them.
                ["id"] = long.TryParse(item.ItemId, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric) ? numeric : item.ItemId,
            };
            if (item.Model is not null)
            {
                line["model"] = item.Model;
            }
            line["input"] = item.Input;
            line["output"] = item.Output;
            line["parsed"] = item.Parsed;
            line["score"] = item.Score;
            line["extras"] = ReferenceSummary.Parse(item.ExtrasJson);
            line["latency_ms"] = item.LatencyMs;
            line["prompt_tokens"] = item.PromptTokens;
            line["completion_tokens"] = item.CompletionTokens;
            sb.Append(line.ToJsonString(Compact)).Append('\n');
        }
        return sb.ToString();
    }

    private static JsonObject RunJson(RunConfig config, MethodOutcome outcome, RunLogInfo info, IReadOnlyList<PhaseRecord> phases,
        string? referenceLog, IReadOnlyList<string> warnings)
    {
        var phaseArray = new JsonArray();
        foreach (var phase in phases)
        {
            var wall = phase.FinishedAt is { } end ? (end - phase.StartedAt).TotalSeconds : 0;
            phaseArray.Add(new JsonObject
            {
                ["name"] = phase.Name,
                ["items"] = phase.Done,
                ["wall_s"] = Math.Round(wall, 1),
                ["items_per_s"] = wall > 0 ? Math.Round(phase.Done / wall, 2) : 0.0,
                ["prompt_tokens"] = phase.PromptTokens,
                ["completion_tokens"] = phase.CompletionTokens,
                ["tokens_per_s"] = wall > 0 ? Math.Round(phase.CompletionTokens / wall, 1) : 0.0,
            });
        }
        return new JsonObject
        {
            ["run_id"] = info.RunId,
            ["status"] = info.Status,
            ["moco_version"] = info.MocoVersion,
            ["method"] = config.Method,
            ["task"] = config.Task,
            ["task_type"] = config.TaskType,
            ["compat"] = config.Compat.Name(),
            ["config_sha256"] = SqlRunStore.Sha256(config.ConfigText),
            ["seed"] = info.Seed,
            ["limit"] = info.Limit,
            ["mode"] = info.Mode,
            ["created_at"] = Utc(info.StartedAt),
            ["finished_at"] = Utc(info.FinishedAt),
            ["wall_s"] = Math.Round(info.WallSeconds, 1),
            ["resumed"] = new JsonArray(),
            ["reference_log"] = referenceLog,
            ["score"] = new JsonObject { ["test"] = outcome.TestScore, ["n_test"] = outcome.TestItems },
            ["baselines"] = new JsonArray([.. info.Baselines.Select(b => (JsonNode)new JsonObject { ["model"] = b.Model, ["test"] = b.Test })]),
            ["phases"] = phaseArray,
            ["models"] = new JsonArray(),
            ["evaluator_models"] = new JsonArray(),
            ["artifacts"] = new JsonArray(),
            ["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode?)JsonValue.Create(w))]),
        };
    }

    /// <summary>ISO 8601 UTC to the second, as run.json shows times.</summary>
    public static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // Temp file + rename: a reader never sees half a log, and a crash leaves the old file or none.
    private static void WriteAtomic(string path, string text, List<string> files)
    {
        var temp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(temp, text, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
        files.Add(path);
    }
}
