using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Api;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Service;
using MoCo.Router.Store;
using MoCo.Router.Switching;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>api_switch_generation (methods-api.md §3) through the real engine and evaluator with scripted models: a
/// selector's choice authors each patch, patches join with single spaces and stop at `&lt;end&gt;`, and selector
/// training writes one row per sampled prompt labelled by the rollouts' rewards; the router service completes the run's test items alike.</summary>
public sealed class SwitchGenerationTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 3;
    private const string Stub = "The answer is model ";

    private RunStart Start(string models, string extra) => harness.Start(EngineHarness.Config("api_switch_generation", models,
        """, "patch_size": 4""" + extra), Limit) with { Overrides = new RunOverrides { Limit = Limit, NoBaselines = true } };

    // Patches: m-good writes "GGGG", m-bad "bbbb", m-short "ab" (under patch_size characters); the selector answers
    // with its script.
    private static LambdaBackend Backend(Func<GenerationCall, string> selector) => new(call => (call.Prompt.EndsWith(Stub, StringComparison.Ordinal)
        ? selector(call)
        : call.Model switch { "m-good" => "GGGG", "m-short" => "ab", _ => "bbbb" }, 0));

    [Fact]
    public async Task A_constant_selector_authors_every_patch_and_patches_join_with_single_spaces()
    {
        var backend = Backend(_ => "1");
        var (engine, _) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(Start("\"m-bad\", \"m-good\"", """, "selector_model_name": "m-sel" """), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "model_names", "selector_model_name", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        Assert.Equal("m-sel", (string)log["selector_model_name"]!);
        Assert.All(log["logs"]!.AsArray(), e =>
        {
            Assert.Equal(["query", "generated_segments", "segment_model_index", "generated_sequence", "input", "output", "score"], e!.AsObject().Select(p => p.Key).ToList());
            // max_response_length 16 / patch_size 4 = 4 rounds.
            Assert.Equal([1, 1, 1, 1], e["segment_model_index"]!.AsArray().Select(a => (int)a!));
            Assert.Equal("GGGG GGGG GGGG GGGG", (string)e["output"]!);
            Assert.Equal("GGGG GGGG GGGG GGGG ", (string)e["generated_sequence"]!);
        });
        // Each patch is asked for patch_size tokens after q + <begin> + the sequence so far.
        var patches = backend.Calls.Where(c => c.Model == "m-good").ToList();
        Assert.Equal(Limit * 4, patches.Count);
        Assert.All(patches, c => Assert.Equal(4, c.MaxNewTokens));
        Assert.Contains(patches, c => c.Prefill == "GGGG GGGG ");
        Assert.Equal(Limit * 4, backend.Calls.Count(c => c.Model == "m-sel"));
        Assert.Contains(backend.Calls, c => c.Model == "m-sel" && c.Prompt.Contains(" <model 1 begins> GGGG <model 1 ends> <model 1 begins> GGGG <model 1 ends> Which model",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_model_writes_every_patch_and_a_short_patch_ends_the_item()
    {
        var backend = Backend(_ => "none");
        var (engine, _) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(Start("\"m-short\"", """, "selector_model_name": "m-sel" """), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        Assert.All(harness.ReadRunLog(result.RunId)["logs"]!.AsArray(), e =>
        {
            // Round 1 sees a 2-character patch: `<end>` is appended and the item stops.
            Assert.Equal(["ab<end>"], e!["generated_segments"]!.AsArray().Select(s => (string)s!));
            Assert.Equal([0], e["segment_model_index"]!.AsArray().Select(a => (int)a!));
            Assert.Equal("ab", (string)e["output"]!);
        });
        Assert.Equal(Limit, backend.Calls.Count(c => c.Model == "m-short"));
    }

    [Fact]
    public async Task Selector_training_labels_each_prefix_with_the_best_rewarded_first_patch()
    {
        // Reward: Σ 2^-i over the output's patches i written by m-good, so the earliest patch where two rollouts of one
        // prefix differ decides which earns more — the first new patch.
        var trainer = new ScriptedTrainer
        {
            RewardModel = r => (float)r.Prompt.Chat.Messages[1].Content.Split(' ').Select((p, i) => p == "GGGG" ? Math.Pow(2, -i) : 0).Sum(),
        };
        var backend = Backend(call => call.Model.StartsWith("trained-", StringComparison.Ordinal) ? "1" : "0");
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("api_switch_generation", "\"m-bad\", \"m-good\"",
            """, "patch_size": 4, "training_instance_num": 4, "rollout_per_instance": 6, "selector_base_model": "m-base", "reward_model_name": "m-reward" """)
            .Replace("\"batch_size\": 4", "\"batch_size\": 2", StringComparison.Ordinal), Limit) with
        {
            Overrides = new RunOverrides { Limit = 6, NoBaselines = true },
        }, _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        // I = 4 / 2 = 2 iterations of B = 2 prompts: 4 rows, 6 rewarded rollouts each.
        var job = Assert.Single(trainer.Jobs);
        Assert.Equal(("m-base", 4), (job.Job.BaseModel, job.Examples.Count));
        Assert.Equal(4 * 6, trainer.Scored.Count);
        Assert.All(job.Examples, e => Assert.EndsWith(Stub, Assert.Single(e.Prompt.Chat.Messages).Content, StringComparison.Ordinal));
        // Every prefix had rollouts starting with each model, and those starting with m-good earned more.
        Assert.All(job.Examples, e => Assert.Equal("1", e.Completion.Text));
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(job.Job.OutputId, (string)log["selector_model_name"]!);
        Assert.All(log["logs"]!.AsArray(), e => Assert.All(e!["segment_model_index"]!.AsArray(), a => Assert.Equal(1, (int)a!)));
    }

    [Fact]
    public async Task The_router_service_completes_each_test_item_as_the_run_did()
    {
        // The selector keeps model 1 after one of its patches and is otherwise unparseable, so most authors are the
        // counter-based fallback draws of each item and round; m-short's patches end items early, objective_flag cues the
        // last round; the other patches are sampled (a function of the call's seed), so the service must seed as the run.
        static string Respond(string model, string user, ulong seed) => user.EndsWith(Stub, StringComparison.Ordinal)
            ? (user.Contains("<model 1 ends> Which", StringComparison.Ordinal) ? "1" : "no idea")
            : model == "m-short" ? "ab" : ScriptedRouterModels.Sample(seed);
        var (engine, _) = await harness.EngineAsync(new LambdaBackend(call => (Respond(call.Model, call.Prompt, call.Seed), 0)));
        var result = await engine.StartAsync(Start("\"m-bad\", \"m-good\", \"m-short\"", """, "selector_model_name": "m-sel", "objective_flag": true """), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        var log = harness.ReadRunLog(result.RunId);
        var run = File.ReadAllLines(Path.Combine(harness.LogDirectory, "moco", result.RunId, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(i => (string?)i["phase"] == "test").OrderBy(i => (int)i["index"]!).ToList();
        Assert.Equal(Limit, run.Count);

        // The run stored its selector; the service answers the run's test prompts with it over the same scripted models.
        var router = RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)log["moco"]!["router_id"]!);
        Assert.NotNull(router);
        var context = new RouterContext { Method = "api_switch_generation", Seed = 7, RunId = "served", Phase = "test" };
        context.ModelNames.AddRange(["m-bad", "m-good", "m-short"]);
        context.Hyperparameters = new Struct
        {
            Fields = { ["max_response_length"] = Value.ForNumber(16), ["patch_size"] = Value.ForNumber(4), ["objective_flag"] = Value.ForBool(true) },
        };
        var served = new List<CompletedItem>();
        await foreach (var item in new SwitchCompletion(new ScriptedRouterModels(Respond)).CompleteAsync(context, router,
            [.. run.Select(i => new RouteInput { Index = (int)i["index"]!, Prompt = (string)i["input"]! })], default))
        {
            served.Add(item);
        }
        served = [.. served.OrderBy(i => i.Index)];
        Assert.Equal(run.Select(i => (string)i["output"]!), served.Select(i => i.Output));
        List<List<int>> authors = [.. run.Select(i => i["extras"]!["segment_model_index"]!.AsArray().Select(a => (int)a!).ToList())];
        Assert.Equal(authors, served.Select(i => i.Extras.Fields["segment_model_index"].ListValue.Values.Select(v => (int)v.NumberValue).ToList()));
        Assert.Equal(authors.Select(a => a.Distinct()), served.Select(i => i.ModelsUsed.AsEnumerable()));
        // The draws really differ between items and rounds, and some items end early.
        Assert.True(authors.SelectMany(a => a).Distinct().Count() > 1);
        Assert.Contains(authors, a => a.Count < 4);
        Assert.Contains(run, i => ((string)i["output"]!).Any(char.IsAsciiDigit));
    }

    [Fact]
    public void The_selector_prompt_lists_each_patch_with_its_author_and_ends_with_the_open_stub()
    {
        var state = new SwitchState("test/0", "Q?") { Segments = ["one", "two"], Authors = [1, 0] };
        Assert.Equal("Q? <model 1 begins> one <model 1 ends> <model 0 begins> two <model 0 ends> Which model should generate the next segment? "
            + "Please respond with a number from 0 to 2. The answer is model ", SwitchGeneration.SelectorPrompt(state, 3));
    }
}
