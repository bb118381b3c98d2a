using System.Text.Json.Nodes;
using MoCo.Cli;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>The weight-level methods through `moco run` on the real inference service (Merge, Generate, ReadWeights,
/// WriteModel) with the tiny Llama: merging a model with itself returns it bit for bit, so the method's test outputs
/// must equal that model's own greedy outputs, which the same run's baselines produce through Generate.</summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class WeightMethodsEndToEndTests : IDisposable
{
    private const string A = GoldenModels.Llama;
    private const string B = GoldenModels.Lora;
    private readonly GoldenModels _models = new(contextTokens: 4096);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-weight-e2e-").FullName;

    public void Dispose()
    {
        _models.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_greedy_soup_of_a_model_with_itself_answers_as_the_model_and_is_saved_in_the_run_folder()
    {
        var (items, log, artifacts) = await RunAsync("weight_greedy_soup", $"\"{A}\", \"{A}\"", "");

        // Equal dev scores: the candidate ties with the best, so it joins (≥) and the soup answers the test.
        Assert.Equal([A, A], log["selected_models"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(3, Outputs(items, "dev · candidate 1").Count);
        Assert.Equal(3, Outputs(items, "test").Count);
        Assert.Equal(Outputs(items, "baseline · " + A), Outputs(items, "test"));
        var runId = Path.GetFileName(Directory.GetDirectories(artifacts).Single());
        var soup = Path.Combine(artifacts, runId, "weight_greedy_soup", "model_collaboration", "logs", "greedy_soup");
        Assert.True(File.Exists(Path.Combine(soup, "config.json")), soup + " lacks config.json");
        Assert.NotEmpty(Directory.GetFiles(soup, "*.safetensors"));
    }

    [Fact]
    public async Task A_dare_ties_merge_of_one_fine_tune_at_weight_one_answers_as_the_fine_tune()
    {
        // θ_b + 1·δ with δ = θ_ft − θ_b: nothing dropped (density 1), every entry agrees with its own sign.
        var (items, log, artifacts) = await RunAsync("weight_dare_ties", $"\"{B}\"", $", \"base_model_name\": \"{A}\"");

        Assert.Equal([1.0], log["best_weights"]!.AsArray().Select(w => (double)w!));
        Assert.Equal(3, Outputs(items, "test").Count);
        Assert.Equal(Outputs(items, "baseline · " + B), Outputs(items, "test"));
        Assert.DoesNotContain(items, i => ((string?)i["phase"])!.StartsWith("dev", StringComparison.Ordinal));
        var runId = Path.GetFileName(Directory.GetDirectories(artifacts).Single());
        var final = Path.Combine(artifacts, runId, "weight_dare_ties", "model_collaboration", "logs", "dare_ties_agieval_tiny", "final_model");
        Assert.True(File.Exists(Path.Combine(final, "config.json")), final + " lacks config.json");
    }

    [Fact]
    public async Task An_optimized_dare_ties_search_dev_scores_every_particle_merge()
    {
        // The base among its own fine-tunes: every task vector is 0, so each particle's merge is the base whatever its weights.
        var (items, log, _) = await RunAsync("weight_dare_ties", $"\"{A}\", \"{A}\"",
            $", \"base_model_name\": \"{A}\", \"mode\": \"optimized\", \"population\": 2, \"max_iterations\": 2");

        var weights = log["best_weights"]!.AsArray().Select(w => (double)w!).ToList();
        Assert.Equal(2, weights.Count);
        Assert.Equal(1.0, weights.Sum(), 12);
        foreach (var phase in new[] { "dev · iteration 1 particle 0", "dev · iteration 1 particle 1", "dev · iteration 2 particle 0", "dev · iteration 2 particle 1" })
        {
            Assert.Equal(3, Outputs(items, phase).Count);
        }
        Assert.Equal(Outputs(items, "baseline · " + A), Outputs(items, "test"));
    }

    [Fact]
    public async Task An_expo_extrapolation_with_alpha_zero_answers_as_its_target()
    {
        // θ_t + 0·(θ_t − θ_s) = θ_t bit for bit, whichever of the two ranks first on dev; the LoRA side is materialised.
        var (items, log, artifacts) = await RunAsync("weight_expo", $"\"{A}\", \"{B}\"", ", \"alpha\": 0");

        var target = (string)log["target_model"]!;
        Assert.Equal(target == A ? B : A, (string)log["source_model"]!);
        Assert.Equal(3, Outputs(items, "test").Count);
        Assert.Equal(Outputs(items, "baseline · " + target), Outputs(items, "test"));
        var runId = Path.GetFileName(Directory.GetDirectories(artifacts).Single());
        Assert.True(File.Exists(Path.Combine(artifacts, runId, "weight_expo", "model_collaboration", "logs", "expo_agieval_tiny", "final_model", "config.json")));
    }

    [Fact]
    public async Task An_expo_pair_with_alpha_zero_answers_as_its_dpo_model_without_dev_work()
    {
        // One consecutive pair (sft A, dpo B): no dev ranking; θ_B + 0·(θ_B − θ_A) = θ_B, the LoRA side materialised.
        var (items, log, _) = await RunAsync("weight_expo", $"\"{A}\", \"{B}\"", ", \"mode\": \"pairs\", \"alpha\": 0");

        Assert.Equal((A, B), ((string)log["source_model"]!, (string)log["target_model"]!));
        Assert.DoesNotContain(items, i => ((string?)i["phase"])!.StartsWith("dev", StringComparison.Ordinal));
        Assert.Equal(Outputs(items, "baseline · " + B), Outputs(items, "test"));
        Assert.Null(log["model_scores"]);
    }

    [Fact]
    public async Task A_lorahub_search_evaluates_its_budget_on_the_dev_prefix_and_keeps_the_bare_base_under_a_heavy_penalty()
    {
        // Losses: w = 0 costs 1 − S̄ ≤ 1; (0.5, 0) and (0, 0.5) pay 5·0.5/2 = 1.25 more, more than any score gains.
        var (items, log, _) = await RunAsync("weight_lorahub", $"\"{B}\", \"{GoldenModels.ZeroLora}\"",
            ", \"max_inference_step\": 3, \"lorahub_dev_samples\": 2, \"regular_coef\": 5");

        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(2, Outputs(items, $"dev · evaluation {k}").Count);
        }
        Assert.Equal([0.0, 0.0], log["learned_weights"]!.AsArray().Select(w => (double)w!));
        // The all-zero composition is the bare base, which the all-zero adapter also generates exactly.
        Assert.Equal(Outputs(items, "baseline · " + GoldenModels.ZeroLora), Outputs(items, "test"));
    }

    [Fact]
    public async Task A_model_swarm_of_a_model_with_itself_steps_it_onto_itself_and_answers_as_the_model()
    {
        // v = x_j − x_i = 0 and p = g = w = x, so every PSO step on full weights returns the model bit for bit.
        var (items, log, artifacts) = await RunAsync("weight_model_swarms", $"\"{A}\", \"{A}\"", ", \"max_iterations\": 2");

        foreach (var phase in new[] { "dev · iteration 1 particle 0", "dev · iteration 1 particle 1", "dev · iteration 2 particle 0", "dev · iteration 2 particle 1" })
        {
            Assert.Equal(3, Outputs(items, phase).Count);
        }
        Assert.Equal(Outputs(items, "dev · iteration 1 particle 0"), Outputs(items, "dev · iteration 2 particle 0"));
        Assert.Equal(Outputs(items, "baseline · " + A), Outputs(items, "test"));
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key));
        var runId = Path.GetFileName(Directory.GetDirectories(artifacts).Single());
        var folder = Path.Combine(artifacts, runId, "weight_model_swarms", "model_collaboration", "logs", "model_swarms_agieval_tiny");
        Assert.True(File.Exists(Path.Combine(folder, "global_best", "config.json")), folder + " lacks global_best/config.json");
        var pad = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "utility_scratchpad.json")))!;
        Assert.Equal(2, pad["g_history"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_fast_model_swarm_of_one_iteration_answers_as_its_best_scored_adapter()
    {
        // One iteration scores the two adapters and moves nothing; on equal scores the first is the global best.
        var (items, _, artifacts) = await RunAsync("weight_model_swarms", $"\"{B}\", \"{GoldenModels.ZeroLora}\"",
            ", \"max_iterations\": 1, \"fast_merge_flag\": true");

        Assert.Equal(3, Outputs(items, "dev · iteration 1 particle 0").Count);
        Assert.Equal(3, Outputs(items, "dev · iteration 1 particle 1").Count);
        Assert.Equal(Outputs(items, "baseline · " + B), Outputs(items, "test"));
        var runId = Path.GetFileName(Directory.GetDirectories(artifacts).Single());
        var best = Path.Combine(artifacts, runId, "weight_model_swarms", "model_collaboration", "logs", "model_swarms_agieval_tiny", "global_best");
        Assert.True(File.Exists(Path.Combine(best, "adapter_config.json")));
        // The saved global best is the adapter itself, tensor for tensor and bit for bit.
        var saved = Tensors(Path.Combine(best, "adapter_model.safetensors"));
        var input = Tensors(Path.Combine(_models.Dir(B), "adapter_model.safetensors"));
        Assert.Equal(input.Keys.Order(StringComparer.Ordinal), saved.Keys.Order(StringComparer.Ordinal));
        Assert.All(input, t =>
        {
            Assert.Equal((t.Value.Dtype, t.Value.Shape), (saved[t.Key].Dtype, saved[t.Key].Shape));
            Assert.True(t.Value.Data.AsSpan().SequenceEqual(saved[t.Key].Data), t.Key);
        });
    }

    // name → (dtype, shape, bytes) of every tensor of a safetensors file.
    private static Dictionary<string, (string Dtype, string Shape, byte[] Data)> Tensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(bytes, 8, headerLength))!.AsObject();
        return header.Where(p => p.Key != "__metadata__").ToDictionary(p => p.Key, p =>
        {
            var offsets = p.Value!["data_offsets"]!.AsArray();
            var (start, end) = (8 + headerLength + (int)offsets[0]!, 8 + headerLength + (int)offsets[1]!);
            return ((string)p.Value!["dtype"]!, p.Value!["shape"]!.ToJsonString(), bytes[start..end]);
        }, StringComparer.Ordinal);
    }

    [Fact]
    public async Task A_fast_model_swarm_steps_adapters_on_the_service()
    {
        var (items, log, _) = await RunAsync("weight_model_swarms", $"\"{B}\", \"{GoldenModels.ZeroLora}\"",
            ", \"max_iterations\": 2, \"fast_merge_flag\": true");

        // Iteration 2 generates with the stepped adapters (run-time ids served on the base).
        Assert.Equal(3, Outputs(items, "dev · iteration 2 particle 0").Count);
        Assert.Equal(3, Outputs(items, "dev · iteration 2 particle 1").Count);
        Assert.Equal(3, Outputs(items, "test").Count);
        Assert.NotNull(log["avg_test_score"]);
    }

    private async Task<(List<JsonObject> Items, JsonObject Log, string Artifacts)> RunAsync(string method, string models, string hyperparameters)
    {
        var config = Path.Combine(_dir, Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(config, $$"""
            {"method": "{{method}}", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": [{{models}}],
             "hyperparameters": {"max_response_length": 8, "temperature": 0, "batch_size": 4{{hyperparameters}}}, "seed": 5}
            """);
        var logs = Path.Combine(_dir, "logs-" + Path.GetFileNameWithoutExtension(config));
        var artifacts = Path.Combine(_dir, "artifacts-" + Path.GetFileNameWithoutExtension(config));
        var saved = Environment.GetEnvironmentVariable("MOCO_ARTIFACTS_DIR");
        Environment.SetEnvironmentVariable("MOCO_ARTIFACTS_DIR", artifacts);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var code = await MocoCommandLine.InvokeAsync(["run", config, "-l", logs, "--limit", "3", "--data-dir", RunEndToEndTests.DataDir,
                "--models-dir", _models.Root, "--device", "cpu", "--store", Path.Combine(_dir, "runs.db")], output, error);
            Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOCO_ARTIFACTS_DIR", saved);
        }
        var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
        var log = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(runDir, "agieval_tiny_*.json").Single()))!.AsObject();
        return ([.. File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())], log, artifacts);
    }

    private static List<string> Outputs(List<JsonObject> items, string phase) =>
        [.. items.Where(i => (string?)i["phase"] == phase).OrderBy(i => (int)i["index"]!).Select(i => (string)i["output"]!)];
}
