using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Api.CoLlm;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Decoding;
using MoCo.Testing.Inference;

namespace MoCo.Orchestrator.Tests.Methods.Api.CoLlm;

/// <summary>api_collm as a run (methods-api.md §8) on the real engine, evaluator and inference service with the smoke
/// models: the generator trained on the task's dev split through Train, the trained vocabulary's last id the deferral
/// entry, the stored router, the reference log's keys and name, the side files, a threshold of 1.0 never calling the mentor and writing
/// what the trained generator decodes alone, and a second run answered by the same trained model.</summary>
public sealed class CoLlmRunTests(EngineHarness harness) : IClassFixture<EngineHarness>, IAsyncLifetime
{
    private const int Limit = 2;
    private const string Generator = "smoke-llama";
    private const string Mentor = "smoke-qwen2";
    private readonly string _trained = Path.Combine(Path.GetTempPath(), "moco-collm-trained-" + Guid.NewGuid().ToString("N")[..8]);
    private InferenceHost _host = null!;

    public async Task InitializeAsync() => _host = await InferenceHost.StartAsync(Path.GetFullPath(Path.Combine(GoldenModels.GoldenRoot,
        "..", "..", "..", "..", "..", "..", "examples", "smoke", "models")), ("Moco:Inference:KvCacheTokens", "16384"), ("Moco:Inference:TrainedModelsDirectory", _trained));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        if (Directory.Exists(_trained))
        {
            Directory.Delete(_trained, recursive: true);
        }
    }

    private RunStart Start(double threshold) => harness.Start(EngineHarness.Config("api_collm", $"\"{Generator}\", \"{Mentor}\"",
        $$""", "training_dataset_name": "agieval_tiny", "training_split": "dev", "training_num": 3, "max_sequence_length": 1536, "deferral_threshold": {{threshold}}""")
        .Replace("\"max_response_length\": 16", "\"max_response_length\": 6", StringComparison.Ordinal), Limit) with
    {
        Overrides = new RunOverrides { Limit = Limit, NoBaselines = true },
    };

    [Fact]
    public async Task A_threshold_of_one_trains_the_entry_never_calls_the_mentor_and_writes_the_reference_log()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend(), inference: _host.Client);
        var result = await engine.StartAsync(Start(1.0), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        var dir = Path.Combine(harness.LogDirectory, "moco", result.RunId);
        var name = Path.GetFileName(Assert.Single(Directory.GetFiles(dir, "agieval_tiny_*.json")));
        Assert.Equal($"agieval_tiny_model_checkpoints_final_{Mentor}_collm_thresh1.00.json", name);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "split", "model_base", "model_ref", "deferral_threshold", "deferral_strategy", "avg_score", "logs", "moco"],
            log.Select(p => p.Key).ToList());
        Assert.Equal(("test", Mentor, "defer"), ((string)log["split"]!, (string)log["model_ref"]!, (string)log["deferral_strategy"]!));
        var moco = log["moco"]!.AsObject();
        Assert.Equal((0, 0), ((int)moco["mentor_steps"]!, (int)moco["deferred_tokens"]!));

        // The trained generator has the entry as its last id, and the outputs are its greedy decode without it.
        var trained = (string)moco["trained_generator"]!;
        var backend = new GrpcDecodeBackend(_host.Client);
        var defer = Assert.Single(await backend.TokenizeAsync(trained, CoLlmTraining.DeferToken, special: false, default));
        Assert.Equal(256, defer);
        // The trained generator is stored as the run's router, which the router service's Complete serves by id.
        var stored = MoCo.Router.Store.RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)moco["router_id"]!);
        Assert.Equal(("api_collm", trained, defer), (stored!.Method, stored.Artifact, (int)stored.Payload["defer_id"]!));
        var test = await harness.GoldAsync(Split.Test, Limit);
        var prompt = await backend.TokenizeChatAsync(trained, CoLlmDecoding.Prompt(test[0].Prompt), true, default);
        var alone = await CoLlmDecoding.RunAsync(backend, new CoLlmSettings(trained, Mentor, defer, defer, new CoLlmThresholds(1.0, "none", 0, 6), false, 6),
            prompt.Ids, "check", default);
        Assert.Equal(alone.Text, (string)log["logs"]![0]!["output"]!);
        // Item 1's prompt is longer than the smoke models' 4096-token context: it fails alone, output "", the run goes on.
        Assert.Equal("", (string)log["logs"]![1]!["output"]!);

        // Side files: the rows as chat messages (training_num 3, but the run's --limit 2 applies to dev too) and one label
        // list per trained row.
        var side = Path.Combine(harness.ArtifactsDirectory, result.RunId, "api_collm", "co-llm", $"{Generator}-{Mentor}");
        var rows = File.ReadAllLines(Path.Combine(side, "training_data.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["dev_0", "dev_1"], rows.Select(r => (string)r["id"]!));
        Assert.Equal(["system", "user", "assistant"], rows[0]["messages"]!.AsArray().Select(m => (string)m!["role"]!));
        Assert.StartsWith("Problem: ", (string)rows[0]["messages"]![1]!["content"]!, StringComparison.Ordinal);
        Assert.NotEmpty(File.ReadAllLines(Path.Combine(side, "train_data_initializer", "labels.jsonl")));

        // The training is keyed by its inputs: another run of the same config is answered by the same model.
        var again = await engine.StartAsync(Start(1.0), _ => { }, default);
        Assert.True(again.Status == RunState.Succeeded, again.Error?.Message);
        Assert.Equal(trained, (string)harness.ReadRunLog(again.RunId)["moco"]!["trained_generator"]!);
    }
}
