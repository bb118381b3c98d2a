using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_knowledge_card (methods-text.md §2) through the real engine and evaluator, with scripted models.</summary>
public sealed class KnowledgeCardTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    [Fact]
    public async Task The_best_dev_model_answers_with_every_models_knowledge_in_model_order()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-b");
        var (result, log, store) = await scenario.RunAsync(backend, "text_knowledge_card");
        const int n = 3, items = TeamScenario.Limit;

        // BOD: m-b alone answers the dev questions right; the dev means are reported and each model's dev answers stored.
        Assert.Equal(1, (int)log["moco"]!["best_on_dev"]!);
        Assert.Equal([0.0, 1.0, 0.0], log["moco"]!["dev_scores"]!.AsObject().Select(p => (double)p.Value!).ToList());
        for (var i = 0; i < n; i++)
        {
            var dev = await store.GetItemsAsync(result.RunId, BestOnDev.ItemsPhase(i));
            Assert.Equal(items, dev.Count);
            Assert.All(dev, d => Assert.Equal("dev", d.Split));
        }

        // Own answers: dev for BOD, then the engine's baselines on test (the method has none of its own).
        Assert.Equal(2 * n * items, backend.Of("solo").Count);
        Assert.Equal(n * items, backend.Of("knowledge").Count);
        var answers = backend.Of("answer");
        Assert.Equal(items, answers.Count);
        Assert.Equal(n * items * 3 + items, backend.Calls.Count);
        Assert.All(answers, a => Assert.Equal("m-b", a.Model));

        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < items; k++)
        {
            var question = scenario.Test[k].Prompt;
            var paragraphs = TeamScenario.Models.Select(m => backend.Of("knowledge").Single(c => c.Model == m && c.Prompt == KnowledgeCardMethod.KnowledgePrompt(question)).Response);
            var answer = answers.Single(a => a.Prompt == KnowledgeCardMethod.AnswerPrompt(question, paragraphs));
            Assert.Equal(answer.Response, outputs[k]);
            Assert.Equal(scenario.Score(outputs[k], k), (double)log["logs"]![k]!["score"]!);
        }
        Assert.Equal(Enumerable.Range(0, items).Average(k => scenario.Score(outputs[k], k)), result.Score!.Value, 9);
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
    }

    [Fact]
    public async Task With_exclude_self_the_generator_writes_no_knowledge_and_sees_only_the_others()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-c");
        var (_, log, _) = await scenario.RunAsync(backend, "text_knowledge_card", ", \"exclude_self\": true");

        Assert.DoesNotContain(backend.Of("knowledge"), c => c.Model == "m-c");
        Assert.Equal(2 * TeamScenario.Limit, backend.Of("knowledge").Count);
        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < TeamScenario.Limit; k++)
        {
            var question = scenario.Test[k].Prompt;
            var paragraphs = new[] { "m-a", "m-b" }.Select(m => backend.Of("knowledge").Single(c => c.Model == m && c.Prompt == KnowledgeCardMethod.KnowledgePrompt(question)).Response);
            var answer = backend.Of("answer").Single(a => a.Prompt == KnowledgeCardMethod.AnswerPrompt(question, paragraphs));
            Assert.Equal("m-c", answer.Model);
            Assert.Equal(answer.Response, outputs[k]);
        }
    }

    [Theory]
    [InlineData(12)] // killed as the last dev call is served: dev scores not yet checkpointed
    [InlineData(17)] // killed among the knowledge calls: the dev means come from the checkpoint
    public async Task A_killed_run_resumes_without_redoing_a_call(int calls)
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        await scenario.KillAndResumeAsync("text_knowledge_card", "", calls, "m-b");
    }
}
