using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Config;

namespace MoCo.Orchestrator.Tests.Logs;

/// <summary>The log layout and JSON shape of config-and-cli.md §3.4 on a synthetic run of the §1.6 config.</summary>
public sealed class RunLogWriterTests : IDisposable
{
    private const string RunId = "20261125-143012-k7qz";
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 14, 30, 12, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-logs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RunConfig Config()
    {
        var result = new ConfigValidator(MethodRegistry.Default).Validate(
            File.ReadAllText(Path.Combine(GoodConfigTests.RepoRoot(), "examples", "text_llm_blender.json")), "text_llm_blender.json", new ValidationOptions());
        return result.Config!;
    }

    private static MethodOutcome Outcome(RunConfig config)
    {
        var item = ReferenceSummary.Item("Which of the following ...\nA) ...\n", "B) because ...", 1.0);
        // text_llm_blender's item keys: input, candidate_answers, ranker_scores, top_k_model_indices, output, score.
        var logItem = new JsonObject
        {
            ["input"] = item["input"]!.DeepClone(),
            ["candidate_answers"] = new JsonArray("B) ...", "The answer is B.", "C"),
            ["ranker_scores"] = new JsonArray(1.5, 1.0, 0.5),
            ["top_k_model_indices"] = new JsonArray(0, 1),
            ["output"] = item["output"]!.DeepClone(),
            ["score"] = 1.0,
        };
        var summary = ReferenceSummary.Head(config);
        summary["method"] = "text_llm_blender";
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = 0.675;
        summary["logs"] = new JsonArray(logItem);
        return new MethodOutcome(summary, 0.675, 40, new JsonObject());
    }

    private static RunLogInfo Info(string status = "succeeded", bool partial = false) => new(RunId, "1.0.0", "text_llm_blender", "moco", 1234, "cuda:0", null,
        Start, Start.AddSeconds(212.4), 1843210,
        [new("allenai/Llama-3.1-Tulu-3-8B-SFT", 40), new("allenai/Llama-3.1-Tulu-3-8B-DPO", 40), new("./checkpoints/tulu-math-lora", 40), new("Qwen/Qwen2.5-7B-Instruct", 120)],
        status, partial);

    private LogWriteResult Write(string status = "succeeded", bool partial = false, LogWriteOptions? options = null)
    {
        var config = Config();
        var items = new[] { new ItemRecord(RunId, "test", "test", 7, "8", "Which of ...", "B) because ...", "B", 1.0, "{\"top_k_model_indices\":[0,1]}", null, 5120, 1988, 311) };
        var phases = new[] { new PhaseRecord("test · candidates", "finished", 120, 120, Start, Start.AddSeconds(61.2), 24310, 40120) };
        return new RunLogWriter(_dir).Write(config, "llm_blender", Outcome(config), Info(status, partial), items, phases,
            new JsonObject { ["method"] = "text_llm_blender" }, options ?? new LogWriteOptions());
    }

    [Fact]
    public void The_reference_summary_has_the_keys_order_and_moco_object_of_the_spec()
    {
        var result = Write();
        Assert.Equal("agieval_tiny_3_0.675_llm_blender.json", result.ReferenceLog);
        var text = File.ReadAllText(Path.Combine(_dir, result.ReferenceLog!));
        Assert.Equal(text, File.ReadAllText(Path.Combine(_dir, "moco", RunId, result.ReferenceLog!)));
        Assert.False(text.EndsWith('\n'));
        Assert.StartsWith("{\n    \"task\": \"agieval_tiny\",\n    \"task_type\": \"multiple_choice\",\n    \"method\": \"text_llm_blender\",\n    \"model_names\": [\n", text);
        Assert.Contains("\"hyperparameters\": {\n        \"max_response_length\": 512,\n        \"temperature\": 0.7,", text);
        Assert.Contains("\"ranker_scores\": [\n                1.5,\n                1.0,\n                0.5\n            ],", text);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"],
            doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(["max_response_length", "temperature", "top_p", "batch_size", "top_k", "ranker_model_name", "fuser_max_response_length"],
            doc.RootElement.GetProperty("hyperparameters").EnumerateObject().Select(p => p.Name).ToArray());
        var moco = doc.RootElement.GetProperty("moco");
        Assert.Equal(["version", "method", "compat", "run_id", "seed", "device", "limit", "started_at", "wall_s", "completion_tokens", "tokens_per_s", "model_calls", "run_dir"],
            moco.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(212.4, moco.GetProperty("wall_s").GetDouble());
        Assert.Equal(8678.0, moco.GetProperty("tokens_per_s").GetDouble());
        Assert.Equal("2026-11-25T14:30:12Z", moco.GetProperty("started_at").GetString());
        Assert.Equal($"moco/{RunId}", moco.GetProperty("run_dir").GetString());
    }

    [Fact]
    public void The_run_folder_has_config_resolved_config_items_and_run_json()
    {
        Write();
        var runDir = Path.Combine(_dir, "moco", RunId);
        Assert.Equal(File.ReadAllText(Path.Combine(GoodConfigTests.RepoRoot(), "examples", "text_llm_blender.json")), File.ReadAllText(Path.Combine(runDir, "config.json")));
        Assert.True(File.Exists(Path.Combine(runDir, "config.resolved.json")));
        var line = File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Single();
        Assert.Equal("{\"run_id\":\"20261125-143012-k7qz\",\"phase\":\"test\",\"split\":\"test\",\"index\":7,\"id\":8,\"input\":\"Which of ...\",\"output\":\"B) because ...\",\"parsed\":\"B\",\"score\":1,\"extras\":{\"top_k_model_indices\":[0,1]},\"latency_ms\":5120,\"prompt_tokens\":1988,\"completion_tokens\":311}", line);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")));
        var root = run.RootElement;
        Assert.Equal("succeeded", root.GetProperty("status").GetString());
        Assert.Equal("agieval_tiny_3_0.675_llm_blender.json", root.GetProperty("reference_log").GetString());
        Assert.Equal(0.675, root.GetProperty("score").GetProperty("test").GetDouble());
        Assert.Equal(40, root.GetProperty("score").GetProperty("n_test").GetInt32());
        Assert.Equal(1234UL, root.GetProperty("seed").GetUInt64());
        var phase = root.GetProperty("phases")[0];
        Assert.Equal(("test · candidates", 120, 1.96, 655.6), (phase.GetProperty("name").GetString(), phase.GetProperty("items").GetInt32(),
            phase.GetProperty("items_per_s").GetDouble(), phase.GetProperty("tokens_per_s").GetDouble()));
        Assert.Empty(Directory.GetFiles(runDir, "*.tmp-*"));
    }

    [Theory]
    [InlineData("failed", false)]
    [InlineData("succeeded", true)]
    public void Partial_or_unsuccessful_runs_write_no_top_level_log(string status, bool partial)
    {
        var result = Write(status, partial);
        Assert.Null(result.ReferenceLog);
        Assert.Empty(Directory.GetFiles(_dir, "*.json"));
        Assert.True(File.Exists(Path.Combine(_dir, "moco", RunId, "agieval_tiny_3_0.675_llm_blender.json")));
    }

    [Fact]
    public void An_existing_different_log_is_kept_unless_overwriting()
    {
        var top = Path.Combine(_dir, "agieval_tiny_3_0.675_llm_blender.json");
        File.WriteAllText(top, "old");
        var kept = Write();
        Assert.Null(kept.ReferenceLog);
        Assert.Equal("old", File.ReadAllText(top));
        Assert.Contains("--overwrite-logs", Assert.Single(kept.Warnings));
        var replaced = Write(options: new LogWriteOptions(OverwriteLogs: true));
        Assert.NotNull(replaced.ReferenceLog);
        Assert.NotEqual("old", File.ReadAllText(top));
        // An identical file is rewritten silently.
        Assert.Empty(Write().Warnings);
    }

    [Fact]
    public void Strict_reference_logs_drop_the_moco_object()
    {
        var result = Write(options: new LogWriteOptions(StrictReferenceLogs: true));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, result.ReferenceLog!)));
        Assert.False(doc.RootElement.TryGetProperty("moco", out _));
    }
}
