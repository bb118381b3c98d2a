using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Store;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>api_graph_routing (methods-api.md §5) through the real engine and evaluator with scripted models and a
/// scripted embedder: the network learns that one model is right on every dev item and routes test items by edge score;
/// a resumed or repeated run with the seed routes the same; in_edges other than 3 is refused.</summary>
public sealed class GraphRoutingTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;

    private static string Config(string extra = "") => EngineHarness.Config("api_graph_routing", "\"m-wrong\", \"m-right\"",
        """, "model_descriptions": ["guesses", "knows"], "hidden_features": 4, "learning_rate": 0.01, "train_epochs": 30""" + extra);

    [Fact]
    public async Task The_network_routes_every_test_item_to_the_model_right_on_dev()
    {
        var test = await harness.GoldAsync(Split.Test, Limit);
        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var gold = test.Concat(dev).GroupBy(g => g.Prompt).ToDictionary(g => g.Key, g => g.First().Letter);
        var backend = new RoutingBackend(gold, (_, _, _) => "unexpected", "m-right");
        var embedder = new ScriptedEmbedder();
        var (engine, store) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(embedder));
        var result = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        // Descriptions, dev inputs, test inputs and the task description (default: the task), one Embed call each.
        Assert.Equal(4, embedder.Requests.Count);
        Assert.Contains(embedder.Requests, r => r.Texts.SequenceEqual(["agieval_tiny"]));
        Assert.All(embedder.Requests, r => Assert.Equal(("sentence-transformers/all-MiniLM-L6-v2", true), (r.Model, r.Normalize)));
        var log = harness.ReadRunLog(result.RunId);
        var entries = log["logs"]!.AsArray();
        var items = (await store.GetItemsAsync(result.RunId, "test")).OrderBy(i => i.Index).ToList();
        string[] names = ["m-wrong", "m-right"];
        for (var k = 0; k < Limit; k++)
        {
            var entry = entries[k]!.AsObject();
            Assert.Equal(["input", "selected_model", "output", "score"], entry.Select(p => p.Key).ToList());
            // Each item goes to its higher edge score (model 0 on ties), and that model answers it.
            var scores = JsonNode.Parse(items[k].ExtrasJson)!["edge_scores"]!.AsArray().Select(s => (double)s!).ToList();
            Assert.All(scores, s => Assert.InRange(s, 0, 1));
            var selected = names[scores[1] > scores[0] ? 1 : 0];
            Assert.Equal(selected, (string)entry["selected_model"]!);
            Assert.Equal($"The answer is {backend.Letter(selected, test[k].Prompt)}.", (string)entry["output"]!);
        }
        // The model right on every dev item gets most of the test items.
        Assert.True(entries.Count(e => (string)e!["selected_model"]! == "m-right") > Limit / 2);
        var moco = log["moco"]!.AsObject();
        Assert.Equal((1.0, true, true), ((double)moco["best_val_f1"]!, (bool)moco["validated_on_train"]!, (bool)moco["embedder_substituted"]!));
        Assert.Equal("graph", (string)RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)moco["router_id"]!)!.Payload["kind"]!);

        var again = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        Assert.Equal(EngineHarness.ReferencePart(log).ToJsonString(), EngineHarness.ReferencePart(harness.ReadRunLog(again.RunId)).ToJsonString());
    }

    [Fact]
    public async Task Edge_features_other_than_three_are_refused()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var error = await Assert.ThrowsAsync<MoCo.Orchestrator.Engine.RunRejectedException>(() => engine.StartAsync(harness.Start(Config(""", "in_edges": 4"""), Limit), _ => { }, default));
        Assert.Contains(error.Problems, p => p.Path.Contains("in_edges", StringComparison.Ordinal));
    }
}
