using System.Text.Json.Nodes;
using static MoCo.Cli.Tests.CliRunner;

namespace MoCo.Cli.Tests;

/// <summary>`moco run` and `moco runs` argument handling (config-and-cli.md §4.1): usage errors exit 2 before anything
/// starts, invalid configs list their problems with CFG codes, unknown runs are named.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string Install = new MoCo.Hosting.MocoEnvironment().InstallDirectory;

    private static string Quickstart => Path.Combine(Install, "examples", "quickstart.json");

    private string Store => Path.Combine(_dir, "runs.db");

    private string Config(string text)
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("run")]
    [InlineData("run", "missing.json")]
    [InlineData("run", "x.json", "--force")]
    [InlineData("run", "x.json", "--limit", "0")]
    [InlineData("run", "x.json", "--limit-seed", "3")]
    [InlineData("run", "x.json", "--compat", "python")]
    [InlineData("run", "x.json", "--limit", "many")]
    [InlineData("run", "x.json", "--embedded", "--server", "http://127.0.0.1:1")]
    [InlineData("run", "x.json", "--json-items", "-q")]
    [InlineData("run", "x.json", "--json-items", "--progress", "plain")]
    [InlineData("run", "x.json", "--dry-run", "--resume", "last")]
    public async Task Usage_errors_exit_2_before_anything_starts(params string[] args)
    {
        var (code, _, err) = await Run(args);
        Assert.Equal(2, code);
        Assert.Contains("error", err);
    }

    [Fact]
    public async Task A_device_that_is_not_there_exits_2_naming_the_setting_without_a_stack_trace()
    {
        var quickstart = Quickstart;
        var (code, _, err) = await Run("run", quickstart, "--device", "cuda:7", "--limit", "1", "--store", Store, "-l", Path.Combine(_dir, "logs"));
        Assert.Equal(2, code);
        Assert.Contains("error: Moco:Inference:Device: moco_context_create", err);
        Assert.Contains("fix:", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public async Task An_invalid_config_lists_every_problem_and_exits_2()
    {
        var config = Config("""
            {"method": "text_majority_vote", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [0],
             "model_names": ["nowhere/model-a"], "hyperparameters": {"tie": "coin", "temprature": 0.5}}
            """);
        var (code, _, err) = await Run("run", config, "--store", Store, "-l", Path.Combine(_dir, "logs"), "--data-dir", Path.Combine(_dir, "no-data"));
        Assert.Equal(2, code);
        Assert.Contains("hyperparameters.tie", err);
        Assert.Contains("[CFG004]", err);
        Assert.Contains("[CFG005]", err);
        Assert.Contains("CONFIG_INVALID", err);
    }

    [Fact]
    public async Task A_dry_run_prints_the_resolved_plan_and_creates_neither_store_nor_logs()
    {
        var quickstart = Quickstart;
        var logs = Path.Combine(_dir, "logs");
        var (code, output, err) = await Run("run", quickstart, "--dry-run", "--json", "--limit", "3", "--seed", "5", "--no-cache", "--store", Store, "-l", logs);
        Assert.True(code == 0, err);
        var plan = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsObject();
        Assert.True((bool)plan["dry_run"]!);
        Assert.Equal("text_slm_mux", (string)plan["method"]!);
        Assert.Equal(5UL, (ulong)plan["seed"]!);
        Assert.Equal("flag", (string)plan["seed_source"]!);
        Assert.Equal("cpu", (string)plan["device"]!);
        Assert.Equal(3, (int)plan["data"]!["used_test"]!);
        Assert.True((int)plan["data"]!["n_test"]! > 3);
        var models = plan["models"]!.AsArray();
        Assert.Equal(["zoo/north", "zoo/south"], models.Select(m => (string)m!["name"]!));
        Assert.All(models, m => Assert.Equal("zoo", (string)m!["rule"]!));
        Assert.True(Directory.Exists((string)models[0]!["dir"]!));
        Assert.Equal(["zoo/north", "zoo/south"], plan["baselines"]!.AsArray().Select(m => (string)m!));
        Assert.False((bool)plan["reuse_other_runs"]!);
        Assert.False(File.Exists(Store));
        Assert.False(Directory.Exists(logs));

        var (human, text, _) = await Run("run", quickstart, "--dry-run", "--no-baselines", "--store", Store, "-l", logs);
        Assert.Equal(0, human);
        Assert.Contains("nothing was run (--dry-run)", text);
        Assert.Contains("drawn at start", text);
        Assert.Contains("none (--no-baselines)", text);
        Assert.Matches(@"\[1\]\s+zoo/south\s+zoo\s+cpu", text);
    }

    [Fact]
    public async Task A_dry_run_refuses_an_invalid_config_or_a_missing_device_like_the_run()
    {
        var config = Config("""
            {"method": "text_majority_vote", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [0],
             "model_names": ["nowhere/model-a"], "hyperparameters": {"tie": "coin"}}
            """);
        var (code, _, err) = await Run("run", config, "--dry-run", "--data-dir", Path.Combine(_dir, "no-data"));
        Assert.Equal(2, code);
        Assert.Contains("[CFG009]", err);
        Assert.Contains("CONFIG_INVALID", err);

        var quickstart = Quickstart;
        var (device, _, deviceErr) = await Run("run", quickstart, "--dry-run", "--device", "cuda:7");
        Assert.Equal(2, device);
        Assert.Contains("--device/MOCO_DEVICE \"cuda:7\" names cuda:7", deviceErr);
        Assert.Contains("[CFG011]", deviceErr);
        Assert.Contains("moco doctor", deviceErr);
    }

    [Fact]
    public async Task An_embedded_run_places_its_models_as_the_config_says_and_reports_remapped_gpu_ids()
    {
        // config-and-cli.md §2.3 on a machine without a GPU (CI's): gpu_ids map to the CPU with one CFGW03 warning, the
        // device map and config.resolved.json say where the models ran, and a config `device` naming a GPU refuses the run.
        if (Native.MocoEngine.Devices.Count > 1)
        {
            return;
        }
        var quickstart = JsonNode.Parse(File.ReadAllText(Quickstart))!.AsObject();
        quickstart["gpu_ids"] = new JsonArray(0, 1);
        quickstart.Remove("evaluation");
        var logs = Path.Combine(_dir, "logs");
        var data = Path.Combine(Install, "data");
        var (code, output, err) = await Run("run", Config(quickstart.ToJsonString()), "--data-dir", data, "--limit", "1", "--no-baselines", "--json",
            "--store", Store, "-l", logs);
        Assert.True(code == 0, err);
        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var started = events.Single(e => (string)e["type"]! == "run_started");
        Assert.Equal(["cpu", "cpu"], started["device_map"]!.AsArray().Select(m => (string)m!["device"]!));
        var warning = Assert.Single(events, e => (string)e["type"]! == "warning");
        Assert.Contains("gpu_ids: no CUDA device is visible: gpu_ids are mapped to the CPU [CFGW03]", (string)warning["message"]!);
        var runId = (string)started["run_id"]!;
        var resolved = JsonNode.Parse(File.ReadAllText(Path.Combine(logs, "moco", runId, "config.resolved.json")))!;
        Assert.Equal(["cpu", "cpu"], resolved["models"]!.AsArray().Select(m => (string)m!["device"]!));

        quickstart["device"] = "cuda:0";
        var (refused, _, refusal) = await Run("run", Config(quickstart.ToJsonString()), "--data-dir", data, "--limit", "1", "--store", Store, "-l", logs);
        Assert.Equal(2, refused);
        Assert.Contains("device: device \"cuda:0\" names cuda:0, but no CUDA device is visible here (only cpu) [CFG011]", refusal);
    }

    [Fact]
    public async Task The_reference_form_needs_a_config_and_runs_list_an_empty_store()
    {
        var (code, _, err) = await Run("-l", Path.Combine(_dir, "logs"));
        Assert.Equal(2, code);
        Assert.Contains("moco run config.json", err);

        var (listed, output, _) = await Run("runs", "list", "--store", Store, "--json");
        Assert.Equal(0, listed);
        Assert.Equal("[]", output.Trim());
    }

    [Theory]
    [InlineData("runs", "list")]
    [InlineData("runs", "show", "last")]
    [InlineData("run", "CONFIG")]
    public async Task An_unreachable_postgres_store_exits_4_naming_the_setting(params string[] command)
    {
        var config = Config("{}");
        // Port 1 on loopback refuses at once: nothing listens there.
        var (code, _, err) = await Run([.. command.Select(a => a == "CONFIG" ? config : a), "--store", "postgresql://moco:secret@127.0.0.1:1/runs"]);
        Assert.Equal(4, code);
        Assert.StartsWith("error: the run store set by MOCO_RUN_STORE (or --store) (PostgreSQL moco@127.0.0.1:1/runs) cannot be opened", err);
        Assert.DoesNotContain("secret", err);
    }

    [Theory]
    [InlineData("show")]
    [InlineData("cancel")]
    public async Task Unknown_runs_are_named(string sub)
    {
        var (code, _, err) = await Run("runs", sub, "nope", "--store", Store);
        Assert.Equal(2, code);
        Assert.Contains("no run \"nope\"", err);
    }
}

/// <summary>`--json` event lines (config-and-cli.md §4.2): the oneof case becomes `type`, its fields move to the top.</summary>
public sealed class RunJsonLineTests
{
    [Fact]
    public void A_progress_event_prints_as_one_flat_line_with_its_type()
    {
        var e = new MoCo.Contracts.V1.RunEvent
        {
            V = 1,
            RunId = "20261125-143012-k7qz",
            Ts = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 25, 14, 31, 2, TimeSpan.Zero)),
            Progress = new MoCo.Contracts.V1.Progress { Phase = "test · candidates", Done = 23, Total = 40, TokensPerS = 655.5 },
        };
        var line = Commands.RunConsole.JsonLine(e);
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        Assert.DoesNotContain('\n', line);
        Assert.Equal(["v", "ts", "run_id", "type", "phase", "done", "total", "tokens_per_s"], node.Select(p => p.Key).ToList());
        Assert.Equal("progress", (string)node["type"]!);
        Assert.Equal(23, (int)node["done"]!);
    }
}
