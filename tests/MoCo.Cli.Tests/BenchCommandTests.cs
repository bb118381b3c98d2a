using System.Text.Json;
using MoCo.Cli.Bench;
using static MoCo.Cli.Tests.CliRunner;

namespace MoCo.Cli.Tests;

/// <summary>`moco bench` (config-and-cli.md §4.1) on the bundled zoo models with small sizes: every suite's rows carry
/// their baseline of the same run and the ratio to it; bad input is a usage error naming the option; a failing suite
/// leaves the others' figures in the report.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-bench-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Small = ["--device", "cpu", "--threads", "1", "--repeats", "1", "--prompt", "8", "--tokens", "4", "--json"];

    private static JsonElement Suite(JsonDocument report, string name) =>
        report.RootElement.GetProperty("suites").EnumerateArray().Single(s => s.GetProperty("suite").GetString() == name);

    private static JsonElement Row(JsonElement suite, string workload) =>
        suite.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("workload").GetString() == workload);

    // A row measured against a baseline: its ratio is its figure over the baseline row's figure of the same suite.
    private static void AssertRatio(JsonElement suite, string workload, string baselineWorkload)
    {
        var row = Row(suite, workload);
        var baseline = Row(suite, baselineWorkload).GetProperty("value").GetDouble();
        Assert.Equal(baseline, row.GetProperty("baseline_value").GetDouble());
        Assert.Equal(row.GetProperty("value").GetDouble() / baseline, row.GetProperty("ratio").GetDouble(), 9);
        Assert.True(row.GetProperty("value").GetDouble() > 0, workload);
    }

    [Fact]
    public async Task Engine_and_tokenizer_report_figures_against_baselines_measured_in_the_same_run()
    {
        var (code, output, error) = await Run(["bench", "engine", "tokenizer", "--model", "zoo/base", "--batch", "1,2", .. Small]);
        Assert.True(code == 0, error);
        using var report = JsonDocument.Parse(output);
        Assert.Equal(2, report.RootElement.GetProperty("suites").GetArrayLength());
        Assert.Empty(report.RootElement.GetProperty("failures").EnumerateObject());

        var engine = Suite(report, "engine");
        var bandwidth = Row(engine, "copy bandwidth");
        Assert.False(bandwidth.TryGetProperty("ratio", out _));
        Assert.False(bandwidth.TryGetProperty("baseline", out _));
        // The batch-1 bound: copy bandwidth over the bytes of zoo/base's BF16 weights (tied: every parameter once).
        var decode1 = Row(engine, "decode, batch 1");
        Assert.Equal("batch-1 bandwidth bound", decode1.GetProperty("baseline").GetString());
        using (var context = Native.MocoContext.Create("cpu", 1))
        using (var model = Native.Models.MocoModel.Load(context, Path.Combine(MoCo.Testing.Checkout.Root, "models", "base")))
        {
            var bound = bandwidth.GetProperty("value").GetDouble() * 1e9 / (model.Info.ParameterCount * 2.0);
            Assert.Equal(bound, decode1.GetProperty("baseline_value").GetDouble(), bound * 1e-9);
        }
        Assert.Equal(decode1.GetProperty("baseline_value").GetDouble(), Row(engine, "decode, batch 2").GetProperty("baseline_value").GetDouble());
        AssertRatio(engine, "prefill, 8 tokens", "decode, batch 1");
        Assert.Contains("zoo/base (LlamaForCausalLM", engine.GetProperty("setup").GetString());
        Assert.Contains("on cpu, 1 threads", engine.GetProperty("setup").GetString());

        var tokenizer = Suite(report, "tokenizer");
        AssertRatio(tokenizer, "encode (text to ids)", "engine prefill, 8 tokens");
        AssertRatio(tokenizer, "decode (ids to text)", "engine prefill, 8 tokens");
        // The text comes from the task files on the data search path (one is enough when MOCO_DATA_DIR holds large sets).
        Assert.Matches(@"\d+ task files? on the data search path", tokenizer.GetProperty("setup").GetString());
    }

    [Fact]
    public async Task Fusion_merge_gateway_and_e2e_run_on_two_zoo_models_as_markdown_to_a_file()
    {
        var file = Path.Combine(_dir, "bench.md");
        var (code, output, error) = await Run("bench", "fusion", "merge", "gateway", "e2e", "--device", "cpu", "--repeats", "1", "--prompt", "8", "--tokens", "4",
            "--limit", "2", "-o", file);
        Assert.True(code == 0, error);
        Assert.Equal("", output);
        Assert.Contains($"wrote {file}", error);
        var markdown = await File.ReadAllTextAsync(file);
        Assert.StartsWith("# moco bench — MoCo.NET ", markdown);
        foreach (var heading in new[] { "## fusion", "## merge", "## gateway", "## e2e" })
        {
            Assert.Contains(heading, markdown);
        }
        Assert.DoesNotContain("## engine", markdown);
        Assert.Matches(@"\| generate, 2 models fused \(GenerateEnsemble\) \| [\d,.]+ tokens/s \| generate, first model \| [\d.]+x \|", markdown);
        Assert.Matches(@"\| fused chat prompt, over Decode streams \| [\d,.]+ tokens/s \| fused chat prompt, GenerateEnsemble \| [\d.]+x \|", markdown);
        Assert.Matches(@"\| merge DARE_TIES, 2 models \| [\d,.]+ GB/s \| copy bandwidth \| [\d.]+x \|", markdown);
        Assert.Matches(@"\| Tokenize, through the gateway \| [\d,.]+ calls/s \| Tokenize, gRPC loopback \| [\d.]+x \| \d+ us per call \|", markdown);
        Assert.Matches(@"\| single_model, zoo/north \| [\d,.]+ items/s \| \(baseline\) \| — \| score [\d.]+ on 2 test items", markdown);
        Assert.Matches(@"\| text_slm_mux \(2 models\) \| [\d,.]+ items/s \| single_model \| [\d.]+x \| score [\d.]+ on 2 test items", markdown);
    }

    [Fact]
    public async Task A_failing_suite_is_reported_and_the_others_keep_their_figures()
    {
        var config = Path.Combine(_dir, "broken.json");
        await File.WriteAllTextAsync(config, """{"method": "text_majority_vote", "task": "zoo_world", "task_type": "multiple_choice", "gpu_ids": [-1], "model_names": ["zoo/north", "zoo/south"], "hyperparameters": {"votes": "many"}}""");
        var (code, output, error) = await Run(["bench", "engine", "e2e", "--config", config, "--batch", "1", .. Small]);
        Assert.Equal(ExitCodes.Failed, code);
        using var report = JsonDocument.Parse(output);
        Assert.True(Row(Suite(report, "engine"), "decode, batch 1").GetProperty("value").GetDouble() > 0);
        var why = report.RootElement.GetProperty("failures").GetProperty("e2e").GetString();
        Assert.Contains("votes", why);
        Assert.Contains("e2e: failed:", error);
    }

    [Theory]
    [InlineData("unknown suite \"speed\": use engine, fusion, merge, tokenizer, gateway, e2e", "bench", "speed")]
    [InlineData("--batch \"1,0\": give batch sizes from 1 to 1024", "bench", "engine", "--batch", "1,0")]
    [InlineData("--repeats is 0; it must be at least 1", "bench", "engine", "--repeats", "0")]
    [InlineData("--model: give one or two models", "bench", "--model", "a", "--model", "b", "--model", "c")]
    [InlineData("no-such-model", "bench", "engine", "--model", "no-such-model")]
    [InlineData("unknown random model \"random:7b\": use random:125m or random:1b", "bench", "engine", "--model", "random:7b")]
    [InlineData("the e2e suite's config", "bench", "e2e", "--config", "/nonexistent/config.json")]
    [InlineData("unknown device \"tpu\"", "bench", "engine", "--device", "tpu")]
    public async Task Bad_input_is_a_usage_error_naming_what_to_fix(string message, params string[] args)
    {
        var (code, output, error) = await Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains(message, error);
        Assert.Contains("fix:", error);
    }

    [Fact]
    public async Task A_device_this_build_lacks_is_an_environment_error()
    {
        var (code, _, error) = await Run("bench", "engine", "--device", "cuda:7");
        Assert.Equal(Native.MocoEngine.Devices.Count > 7 ? 0 : ExitCodes.Environment, code);
        Assert.Contains("--device cuda:7", error);
        Assert.Contains("moco doctor", error);
    }

    [Fact]
    public void Markdown_shows_baselines_ratios_and_failures()
    {
        var report = new BenchReport("1.2.3", "libmoco 1.2.3", "a machine", new DateTimeOffset(2026, 12, 7, 18, 0, 0, TimeSpan.Zero),
            [new BenchSuiteResult("engine", "on cpu", [new BenchRow("copy", 20, "GB/s", null, 0, "256 MiB"), new BenchRow("decode", 1234.6, "tokens/s", "bound", 2469.2, null),
                new BenchRow("tiny", 0.01234, "GB/s", "copy", 20)])],
            new Dictionary<string, string> { ["e2e"] = "the config is invalid" });
        var markdown = BenchRenderer.Markdown(report);
        Assert.Contains("# moco bench — MoCo.NET 1.2.3, libmoco 1.2.3\n\na machine; 2026-12-07 18:00 UTC.", markdown);
        Assert.Contains("## engine\n\non cpu.\n\n| workload | figure | baseline | ratio | note |\n|---|---:|---|---:|---|\n", markdown);
        Assert.Contains("| copy | 20.0 GB/s | (baseline) | — | 256 MiB |\n", markdown);
        Assert.Contains("| decode | 1,235 tokens/s | bound | 0.50x |  |\n", markdown);
        Assert.Contains("| tiny | 0.0123 GB/s | copy | 0.0006x |  |\n", markdown);
        Assert.EndsWith("## e2e\n\nfailed: the config is invalid\n", markdown);
    }
}
