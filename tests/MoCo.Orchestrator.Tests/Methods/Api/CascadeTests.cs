using System.Security.Cryptography;
using System.Text;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Routing;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>api_cascade (methods-api.md §6) through the real engine and evaluator with scripted confidences: thresholds
/// are the dev quantiles, each item is answered by exactly one level, deferred items and only they reach the next
/// level, a confident first model never calls the last, and just_ask never accepts an "unconfident" answer early.</summary>
public sealed class CascadeTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;

    private static string Config(string models, string mode = "logit", double percentage = 0.5) =>
        EngineHarness.Config("api_cascade", models, $$""", "mode": "{{mode}}", "percentage": {{percentage}}""");

    // A confidence in [0, 1) fixed by (model, prompt), so the test can recompute thresholds and decisions.
    private static double Confidence(string model, string prompt) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(model + "|" + prompt))[0] / 256.0;

    private static (string, double) Answer(GenerationCall call) => ($"The answer is {ScriptedBackend.Letter(call.Model, call.Prompt)}.", Confidence(call.Model, call.Prompt));

    [Fact]
    public async Task Items_below_a_levels_dev_quantile_defer_and_each_item_is_answered_once()
    {
        var backend = new LambdaBackend(Answer);
        var (engine, store) = await harness.EngineAsync(backend);
        var models = new[] { "m-weak", "m-mid", "m-strong" };
        var result = await engine.StartAsync(harness.Start(Config("\"m-weak\", \"m-mid\", \"m-strong\""), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        var dev = (await harness.GoldAsync(Split.Dev, Limit)).Select(d => d.Prompt).ToList();
        var test = (await harness.GoldAsync(Split.Test, Limit)).Select(d => d.Prompt).ToList();
        double[] thresholds = [.. models[..2].Select(m => Quantile.Linear([.. dev.Select(p => Confidence(m, p))], 0.5))];
        var expectedLevel = test.Select(p => Confidence(models[0], p) >= thresholds[0] ? 0 : Confidence(models[1], p) >= thresholds[1] ? 1 : 2).ToList();

        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        Assert.Equal("api_cascade", (string)log["method"]!);
        Assert.Equal(thresholds, log["moco"]!["thresholds"]!.AsArray().Select(t => (double)t!));
        var entries = log["logs"]!.AsArray();
        var items = (await store.GetItemsAsync(result.RunId, "test")).OrderBy(i => i.Index).ToList();
        for (var k = 0; k < Limit; k++)
        {
            Assert.Equal(["input", "output", "score"], entries[k]!.AsObject().Select(p => p.Key).ToList());
            Assert.Equal($"The answer is {ScriptedBackend.Letter(models[expectedLevel[k]], test[k])}.", (string)entries[k]!["output"]!);
            Assert.Contains($"\"level\":{expectedLevel[k]}", items[k].ExtrasJson, StringComparison.Ordinal);
        }
        // Level i+1 is asked exactly the items level i deferred; confidences are asked below the last level only.
        var testCalls = backend.Calls.Where(c => test.Contains(c.Prompt)).ToList();
        for (var level = 0; level < 3; level++)
        {
            var asked = testCalls.Where(c => c.Model == models[level] && (level == 2 || c.ConfidenceTopK == 5)).Select(c => c.Prompt).Order().ToList();
            var expected = test.Where((_, k) => expectedLevel[k] >= level).Order().ToList();
            // The engine's own baselines call every model on every test item without confidences.
            Assert.Equal(level == 2 ? [.. expected.Concat(test).Order()] : expected, asked);
        }
        Assert.Equal(Limit * 2, backend.Calls.Count(c => dev.Contains(c.Prompt) && c.ConfidenceTopK == 5));
    }

    [Fact]
    public async Task A_confident_first_model_never_calls_the_last()
    {
        // percentage 0: the threshold is the lowest dev confidence, and the first model is equally confident everywhere.
        var backend = new LambdaBackend(call => ($"The answer is {ScriptedBackend.Letter(call.Model, call.Prompt)}.", call.Model == "m-weak" ? 0.8 : 0.1));
        var (engine, _) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(Config("\"m-weak\", \"m-strong\"", percentage: 0), Limit) with
        {
            Overrides = new RunOverrides { Limit = Limit, NoBaselines = true },
        }, _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.DoesNotContain(backend.Calls, c => c.Model == "m-strong");
        Assert.Equal([Limit, 0], harness.ReadRunLog(result.RunId)["moco"]!["accepted_per_level"]!.AsArray().Select(n => (int)n!));
    }

    [Fact]
    public async Task Just_ask_defers_every_unconfident_answer_and_one_model_answers_like_single_model()
    {
        var backend = new LambdaBackend(call => call.Prompt.StartsWith("User: ### Question: ", StringComparison.Ordinal)
            ? ($"Maybe {ScriptedBackend.Letter(call.Model, call.Prompt)}." + (Confidence(call.Model, call.Prompt) < 0.5 ? " I am unconfident." : ""), 0)
            : Answer(call));
        var (engine, _) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(Config("\"m-weak\", \"m-strong\"", mode: "just_ask"), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        var test = (await harness.GoldAsync(Split.Test, Limit)).Select(d => d.Prompt).ToList();
        var entries = harness.ReadRunLog(result.RunId)["logs"]!.AsArray();
        for (var k = 0; k < Limit; k++)
        {
            var asked = RouterPrompts.JustAsk(test[k]);
            var output = (string)entries[k]!["output"]!;
            Assert.DoesNotContain("unconfident", output, StringComparison.Ordinal);
            Assert.Equal(Confidence("m-weak", asked) < 0.5 ? $"The answer is {ScriptedBackend.Letter("m-strong", test[k])}." : $"Maybe {ScriptedBackend.Letter("m-weak", asked)}.",
                output);
        }
        Assert.DoesNotContain(backend.Calls, c => c.ConfidenceTopK > 0);

        var single = await engine.StartAsync(harness.Start(Config("\"m-strong\""), Limit), _ => { }, default);
        Assert.Equal(test.Select(p => $"The answer is {ScriptedBackend.Letter("m-strong", p)}."),
            harness.ReadRunLog(single.RunId)["logs"]!.AsArray().Select(e => (string)e!["output"]!));
    }
}
