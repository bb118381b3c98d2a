using System.Text.Json.Nodes;
using MoCo.Cli;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>text_llm_blender with `train_fuser_on_dev` through `moco run` on the real inference service: a real LoRA
/// SFT of the tiny causal model on the dev fusion records (one item, one epoch), whose trained model then fuses every test item.</summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class LlmBlenderTrainingEndToEndTests : IDisposable
{
    private readonly GoldenModels _models = new(contextTokens: 4096);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-blender-train-e2e-").FullName;

    public void Dispose()
    {
        _models.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_fuser_trained_on_dev_answers_every_test_item_under_its_new_id()
    {
        var config = Path.Combine(_dir, "blender.json");
        File.WriteAllText(config, $$"""
            {"method": "text_llm_blender", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": ["{{GoldenModels.Llama}}", "{{GoldenModels.Lora}}"],
             "hyperparameters": {"max_response_length": 4, "temperature": 0, "ranker_model_name": "{{GoldenModels.Llama}}",
               "ranker_max_response_length": 2, "train_fuser_on_dev": true, "fuser_sft_epoch": 1, "fuser_sft_gradient_accumulation_steps": 1}, "seed": 5}
            """);
        var logs = Path.Combine(_dir, "logs");
        var artifacts = Path.Combine(_dir, "artifacts");
        var saved = Environment.GetEnvironmentVariable("MOCO_ARTIFACTS_DIR");
        Environment.SetEnvironmentVariable("MOCO_ARTIFACTS_DIR", artifacts);
        int code;
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            code = await MocoCommandLine.InvokeAsync(["run", config, "-l", logs, "--limit", "1", "--data-dir", RunEndToEndTests.DataDir,
                "--models-dir", _models.Root, "--device", "cpu", "--store", Path.Combine(_dir, "runs.db"), "--no-baselines"], output, error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOCO_ARTIFACTS_DIR", saved);
        }
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");

        var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
        var log = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(runDir, "agieval_tiny_2_*llm_blender.json").Single()))!.AsObject();
        var fuser = (string)log["moco"]!["trained_fuser"]!;
        Assert.Matches("^trained-[0-9a-f]{64}$", fuser);

        var records = File.ReadAllLines(Path.Combine(artifacts, Path.GetFileName(runDir), "text_llm_blender", "fuser_sft_agieval_tiny_2.jsonl"));
        Assert.Single(records);
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(r)!["completion"])));
        // The trained fuser's adapter folder, where the reference leaves it beside the SFT file.
        var fuserFolder = Path.Combine(artifacts, Path.GetFileName(runDir), "text_llm_blender", "fuser_model_agieval_tiny_2");
        Assert.True(File.Exists(Path.Combine(fuserFolder, "adapter_config.json")), string.Join(", ", Directory.Exists(fuserFolder) ? Directory.GetFiles(fuserFolder) : []));
        Assert.True(File.Exists(Path.Combine(fuserFolder, "adapter_model.safetensors")));

        var tested = File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).Where(i => (string?)i["phase"] == "test").ToList();
        Assert.Single(tested);
        Assert.All(tested, i =>
        {
            Assert.Equal(fuser, (string?)i["model"]);
            Assert.Null(i["extras"]?["error"]);
        });
    }
}
