using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Decoding;
using MoCo.Testing.Inference;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>The token-level methods as runs (methods-api.md §1, §7): the real engine and evaluator, Decode on the real
/// inference service with the smoke models; each test output is what the library decodes for that item, a nudging
/// gamma search runs every grid value on dev and keeps the first best, and mentor collaboration's train mode without a
/// registered MLP judge fails naming the file and the conversion.</summary>
public sealed class TokenLevelRunTests(EngineHarness harness) : IClassFixture<EngineHarness>, IAsyncLifetime
{
    private const int Limit = 2;
    private const string Llama = "smoke-llama";
    private const string Qwen = "smoke-qwen2";
    private InferenceHost _host = null!;

    // examples/smoke/models: full checkpoints of different architectures sharing one byte tokenizer.
    public async Task InitializeAsync() => _host = await InferenceHost.StartAsync(Path.GetFullPath(Path.Combine(GoldenModels.GoldenRoot,
        "..", "..", "..", "..", "..", "..", "examples", "smoke", "models")), ("Moco:Inference:KvCacheTokens", "16384"));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private RunStart Start(string extra, string method = "api_nudging", string mentor = Qwen) => harness.Start(EngineHarness.Config(method,
        $"\"{Llama}\", \"{mentor}\"", (method == "api_nudging" ? """, "do_sample": false""" : "") + extra).Replace("\"max_response_length\": 16", "\"max_response_length\": 6", StringComparison.Ordinal), Limit) with
    {
        Overrides = new RunOverrides { Limit = Limit, NoBaselines = true },
    };

    [Fact]
    public async Task Each_output_is_the_library_nudge_of_its_item_and_a_search_keeps_the_first_best_gamma()
    {
        var (engine, store) = await harness.EngineAsync(new ScriptedBackend(), inference: _host.Client);
        var result = await engine.StartAsync(Start(""", "gamma": 0.4"""), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        var test = await harness.GoldAsync(Split.Test, Limit);
        var backend = new GrpcDecodeBackend(_host.Client);
        var log = harness.ReadRunLog(result.RunId);
        var entries = log["logs"]!.AsArray();
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        for (var k = 0; k < Limit; k++)
        {
            // The run's seed is the config's (7); the item key is the split and the dataset index.
            // Item 1's prompt is longer than the smoke models' 4096-token context: it fails alone, output "".
            var expected = k == 1 ? "" : (await Nudging.RunAsync(backend, new NudgingSettings(Llama, Qwen, 0.4, 6, 0.7, false, false), test[k].Prompt,
                7, $"test/{k}", default)).Text;
            Assert.Equal(expected, (string)entries[k]!["output"]!);
            Assert.Equal(["input", "output", "score"], entries[k]!.AsObject().Select(p => p.Key).ToList());
        }

        Assert.NotEmpty((string)entries[0]!["output"]!);
        Assert.Contains("context", (await store.GetItemsAsync(result.RunId, "test")).Single(i => i.Index == 1).ExtrasJson, StringComparison.Ordinal);

        var searched = await engine.StartAsync(Start(""", "search_gamma": true"""), _ => { }, default);
        Assert.True(searched.Status == RunState.Succeeded, searched.Error?.Message);
        var moco = harness.ReadRunLog(searched.RunId)["moco"]!.AsObject();
        var scores = moco["search_dev_scores"]!.AsArray().Select(s => (double)s!).ToList();
        Assert.Equal(4, scores.Count);
        Assert.Equal(new[] { 0.2, 0.3, 0.4, 0.5 }[scores.IndexOf(scores.Max())], (double)moco["gamma"]!);
        // The searched pair is stored as the run's router, as TrainRouter stores a search.
        var router = MoCo.Router.Store.RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)moco["router_id"]!)!;
        Assert.Equal(((double)moco["gamma"]!, 1), ((double)router.Payload["gamma"]!, (int)router.Payload["nudging_model_id"]!));
        Assert.Equal(scores, router.Payload["search_dev_scores"]!.AsArray().Select(s => (double)s!));
    }

    [Fact]
    public async Task Mentor_collaboration_outputs_are_the_library_decode_and_train_mode_needs_a_registered_judge()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend(), inference: _host.Client);
        var result = await engine.StartAsync(Start(""", "decision_proportion": 100, "patch_size": 3""", "api_mentor_collab", "smoke-mistral"), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        var test = await harness.GoldAsync(Split.Test, 1);
        var expected = await MentorCollab.RunAsync(new GrpcDecodeBackend(_host.Client), new MentorSettings(Llama, "smoke-mistral", 100, false, 3, 6), test[0].Prompt,
            7, "test/0", default);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(expected.Text, (string)log["logs"]![0]!["output"]!);
        Assert.Equal(expected.Consultations, (int)log["moco"]!["consultations"]!);

        // A generator with a published MLP passes validation; without its converted judge in the registry the run fails
        // before decoding, naming the generator, the file and the conversion.
        var train = await engine.StartAsync(harness.Start(EngineHarness.Config("api_mentor_collab", "\"Qwen/Qwen3-1.7B\", \"smoke-mistral\"",
            """, "mode": "train" """), 1), _ => { }, default);
        Assert.Equal((RunState.Failed, "MISSING_FILE"), (train.Status, train.Error!.Code));
        Assert.Contains("\"Qwen/Qwen3-1.7B\"", train.Error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("mentor_mlp", "Qwen3_1.7B", "General", "branch_mlp.safetensors"), train.Error.Message, StringComparison.Ordinal);
        Assert.Contains("SeanWang0027/MentorCollab-MLP", train.Error.Message, StringComparison.Ordinal);
    }
}
