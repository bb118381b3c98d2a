using System.Text.Json.Nodes;
using MoCo.Cli;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>The logit methods through `moco run` on the real inference service (methods-logit-weight.md §3–4
/// acceptance): at temperature 0, fusion weights (1, 0) reproduce the first model's greedy outputs and (0, 1) the
/// second's — the tiny causal model and a LoRA adapter on it share the byte vocabulary — [A, A] reproduces A, and
/// contrastive decoding with λ = 0 reproduces its top-ranked model. The single-model outputs come from the same run's
/// baselines (each model alone, greedy, through Generate).</summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class LogitMethodsEndToEndTests : IDisposable
{
    private const string A = GoldenModels.Llama;
    private const string B = GoldenModels.Lora;
    private readonly GoldenModels _models = new(contextTokens: 4096);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-fusion-e2e-").FullName;

    public void Dispose()
    {
        _models.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("[1, 0]", A)]
    [InlineData("[0, 1]", B)]
    public async Task A_one_hot_weighting_decodes_exactly_what_that_model_decodes_alone(string weights, string expected)
    {
        var items = await RunAsync($"\"{A}\", \"{B}\"", weights);
        var fused = Outputs(items, "test");
        Assert.Equal(3, fused.Count);
        Assert.Equal(Outputs(items, "baseline · " + expected), fused);
        // The two models really differ on these items, so the test can tell which one was followed.
        Assert.NotEqual(Outputs(items, "baseline · " + A), Outputs(items, "baseline · " + B));
    }

    [Fact]
    public async Task A_model_fused_with_itself_decodes_what_it_decodes_alone()
    {
        var items = await RunAsync($"\"{A}\", \"{A}\"", "null");
        Assert.Equal(Outputs(items, "baseline · " + A), Outputs(items, "test"));
    }

    [Fact]
    public async Task Contrastive_decoding_with_lambda_0_decodes_what_the_top_ranked_model_decodes_alone()
    {
        var (items, moco) = await RunMethodAsync("logit_logit_contrastive", $"\"{A}\", \"{B}\"", "\"k\": 1, \"lambda_\": 0");
        var top = (int)moco["top"]![0]!;
        Assert.Equal(Outputs(items, "baseline · " + new[] { A, B }[top]), Outputs(items, "test"));
        Assert.Equal(3, Outputs(items, "dev · model 0").Count);
    }

    private async Task<List<JsonObject>> RunAsync(string models, string weights) =>
        (await RunMethodAsync("logit_logit_fusion", models, $"\"weights\": {weights}")).Items;

    private async Task<(List<JsonObject> Items, JsonObject Moco)> RunMethodAsync(string method, string models, string keys)
    {
        var config = Path.Combine(_dir, Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(config, $$"""
            {"method": "{{method}}", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": [{{models}}],
             "hyperparameters": {"max_response_length": 8, "temperature": 0, "batch_size": 4, {{keys}}}, "seed": 5}
            """);
        var logs = Path.Combine(_dir, "logs-" + Path.GetFileNameWithoutExtension(config));
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MocoCommandLine.InvokeAsync(["run", config, "-l", logs, "--limit", "3", "--data-dir", RunEndToEndTests.DataDir,
            "--models-dir", _models.Root, "--device", "cpu", "--store", Path.Combine(_dir, "runs.db")], output, error);
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
        var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
        var log = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(runDir, $"agieval_tiny_2_*_{method["logit_".Length..]}.json").Single()))!;
        return ([.. File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())], log["moco"]!.AsObject());
    }

    private static List<string> Outputs(List<JsonObject> items, string phase) =>
        [.. items.Where(i => (string?)i["phase"] == phase).OrderBy(i => (int)i["index"]!).Select(i => (string)i["output"]!)];
}
