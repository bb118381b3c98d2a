using MoCo.Contracts.V1;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Store;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>api_prompt_routing (methods-api.md §2) through the real engine and evaluator: the router is the best dev
/// model, its text is parsed with ParseChoice (fallback = itself), and each item is answered by the parsed model.</summary>
public sealed class PromptRoutingTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;

    private static string Config(string models, int seed = 7) => EngineHarness.Config("api_prompt_routing", models,
        """, "model_descriptions": ["a cheap model", "a careful model"]""", seed);

    [Fact]
    public async Task The_best_dev_model_routes_and_each_item_is_answered_by_the_parsed_model()
    {
        var test = await harness.GoldAsync(Split.Test, Limit);
        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var gold = test.Concat(dev).GroupBy(g => g.Prompt).ToDictionary(g => g.Key, g => g.First().Letter);
        var questions = test.Select(t => t.Prompt).ToList();
        // Item k: "Model 1" → model 0; "1 or 2" → 2 (the highest label found); no digit → the router itself (model 1).
        var backend = new RoutingBackend(gold, (_, question, _) => (questions.IndexOf(question) % 3) switch
        {
            0 => "Model 1",
            1 => "I'd say 1 or 2",
            _ => "none of them",
        }, "m-right");
        var (engine, store) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(Config("\"m-wrong\", \"m-right\""), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        int[] expected = [.. Enumerable.Range(0, Limit).Select(k => k % 3 == 0 ? 0 : 1)];
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        var entries = log["logs"]!.AsArray();
        for (var k = 0; k < Limit; k++)
        {
            var entry = entries[k]!.AsObject();
            Assert.Equal(["input", "routed_model", "output", "score"], entry.Select(p => p.Key).ToList());
            var model = expected[k] == 0 ? "m-wrong" : "m-right";
            Assert.Equal(model, (string)entry["routed_model"]!);
            Assert.Equal($"The answer is {backend.Letter(model, questions[k])}.", (string)entry["output"]!);
            Assert.Equal(expected[k] == 1 ? 1.0 : 0.0, (double)entry["score"]!);
        }
        Assert.Equal(expected.Count(e => e == 1) / (double)Limit, result.Score!.Value, 9);

        // Routing prompts go to the router (the best dev model) only; answer calls per model = the routing histogram
        // plus each model's own dev pass and its test baseline.
        var routing = backend.Calls.Where(c => !backend.IsQuestion(c.Prompt)).ToList();
        Assert.Equal(Limit, routing.Count);
        Assert.All(routing, c => Assert.Equal("m-right", c.Model));
        Assert.All(routing, c => Assert.Contains("- 2: a careful model", c.Prompt, StringComparison.Ordinal));
        Assert.Equal(dev.Count + expected.Count(e => e == 0) + Limit, backend.Answers("m-wrong"));
        Assert.Equal(dev.Count + expected.Count(e => e == 1) + Limit, backend.Answers("m-right"));
        var moco = log["moco"]!.AsObject();
        Assert.Equal(1, (int)moco["router_model"]!);
        Assert.Equal([0.0, 1.0], moco["dev_scores"]!.AsArray().Select(s => (double)s!));

        // The fitted router is stored for the router service, once per run.
        var router = RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)moco["router_id"]!)!;
        Assert.Equal(("api_prompt_routing", "m-right", 1, result.RunId), (router.Method, (string)router.Payload["router_model"]!, (int)router.Payload["fallback"]!, router.RunId));
        Assert.Equal(Limit, (await store.GetItemsAsync(result.RunId, "test")).Count);
    }

    [Fact]
    public async Task Equal_dev_scores_make_the_lowest_index_the_router_and_a_rerun_gives_the_same_log()
    {
        var test = await harness.GoldAsync(Split.Test, Limit);
        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var gold = test.Concat(dev).GroupBy(g => g.Prompt).ToDictionary(g => g.Key, g => g.First().Letter);
        var backend = new RoutingBackend(gold, (_, _, _) => "2");
        var (engine, _) = await harness.EngineAsync(backend);
        var config = Config("\"m-a\", \"m-b\"");
        var result = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.All(backend.Calls.Where(c => !backend.IsQuestion(c.Prompt)), c => Assert.Equal("m-a", c.Model));
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(0, (int)log["moco"]!["router_model"]!);
        Assert.All(log["logs"]!.AsArray(), e => Assert.Equal("m-b", (string)e!["routed_model"]!));
        Assert.Equal(dev.Count + Limit, backend.Answers("m-a"));

        var again = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal(EngineHarness.ReferencePart(log).ToJsonString(), EngineHarness.ReferencePart(harness.ReadRunLog(again.RunId)).ToJsonString());
    }
}
