using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_multiagent_refine (methods-text.md §8) through the real engine and evaluator, with scripted models.</summary>
public sealed class MultiagentRefineTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int N = 3;
    private const int Items = TeamScenario.Limit;

    [Fact]
    public async Task Each_model_refines_from_the_others_answers_and_the_best_dev_model_summarizes()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-c");
        var (result, log, _) = await scenario.RunAsync(backend, "text_multiagent_refine", ", \"round\": 2");

        // 12 dev + 12 round 1 + 12 round 2 + 4 summaries (the spec's 400 for 40 items).
        Assert.Equal(N * Items * 3 + Items, backend.Calls.Count);
        var refined = backend.Of("refine");
        Assert.Equal(N * Items, refined.Count);
        var lastRound = new string[N, Items];
        for (var k = 0; k < Items; k++)
        {
            var question = scenario.Test[k].Prompt;
            var first = TeamScenario.Models.Select(m => TeamScenario.Solo(backend, m, question)).ToList();
            for (var i = 0; i < N; i++)
            {
                // Model i sees its own previous answer and the other two, in model order.
                var prompt = MultiagentRefineMethod.RefinePrompt(question, first[i], first.Where((_, o) => o != i));
                var call = refined.Single(c => c.Prompt == prompt);
                Assert.Equal(TeamScenario.Models[i], call.Model);
                lastRound[i, k] = call.Response;
            }
        }

        var summaries = backend.Of("summary");
        Assert.All(summaries, s => Assert.Equal("m-c", s.Model));
        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < Items; k++)
        {
            var prompt = TeamRounds.SummaryPrompt(scenario.Test[k].Prompt, Enumerable.Range(0, N).Select(i => lastRound[i, k]));
            Assert.Equal(summaries.Single(s => s.Prompt == prompt).Response, outputs[k]);
        }
        Assert.Equal(Enumerable.Range(0, Items).Average(k => scenario.Score(outputs[k], k)), result.Score!.Value, 9);
        Assert.Equal(2, (int)log["moco"]!["best_on_dev"]!);

        // Round 1 is each model alone with the general keys: the baselines (the expert right, the others wrong).
        Assert.Equal([0.0, 0.0, 1.0], TeamScenario.Models.Select(m => result.Baselines.Single(b => b.Model == m).Test).ToList());
    }

    [Fact]
    public async Task One_round_summarizes_the_independent_answers_without_refining()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-a");
        var (_, log, _) = await scenario.RunAsync(backend, "text_multiagent_refine", ", \"round\": 1");

        Assert.Empty(backend.Of("refine"));
        Assert.Equal(N * Items * 2 + Items, backend.Calls.Count);
        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < Items; k++)
        {
            var question = scenario.Test[k].Prompt;
            var prompt = TeamRounds.SummaryPrompt(question, TeamScenario.Models.Select(m => TeamScenario.Solo(backend, m, question)));
            var summary = backend.Of("summary").Single(s => s.Prompt == prompt);
            Assert.Equal("m-a", summary.Model);
            Assert.Equal(summary.Response, outputs[k]);
        }
    }

    [Fact]
    public async Task A_run_killed_between_rounds_resumes_without_redoing_a_call()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        await scenario.KillAndResumeAsync("text_multiagent_refine", ", \"round\": 3", 30, "m-b");
    }
}
