using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_multiagent_feedback (methods-text.md §7) through the real engine and evaluator, with scripted models.</summary>
public sealed class MultiagentFeedbackTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int N = 3;
    private const int Items = TeamScenario.Limit;

    [Fact]
    public async Task Every_answer_gets_one_outside_feedback_and_is_revised_with_it()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-b");
        var (result, log, _) = await scenario.RunAsync(backend, "text_multiagent_feedback", ", \"round\": 2, \"feedback_count\": 1");

        // 12 dev + 12 round 1 + 12 feedback + 12 revisions + 4 summaries (the spec's 520 for 40 items).
        Assert.Equal(N * Items * 4 + Items, backend.Calls.Count);
        var feedback = backend.Of("feedback");
        var revisions = backend.Of("revise");
        var revised = new string[N, Items];
        for (var k = 0; k < Items; k++)
        {
            var question = scenario.Test[k].Prompt;
            for (var i = 0; i < N; i++)
            {
                var answer = TeamScenario.Solo(backend, TeamScenario.Models[i], question);
                var given = Assert.Single(feedback, f => f.Prompt == MultiagentFeedbackMethod.FeedbackPrompt(question, answer));
                Assert.NotEqual(TeamScenario.Models[i], given.Model);
                var revision = Assert.Single(revisions, r => r.Prompt == MultiagentFeedbackMethod.RevisePrompt(question, answer, [given.Response]));
                Assert.Equal(TeamScenario.Models[i], revision.Model);
                revised[i, k] = revision.Response;
            }
        }

        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < Items; k++)
        {
            var summary = Assert.Single(backend.Of("summary"), s => s.Prompt == TeamRounds.SummaryPrompt(scenario.Test[k].Prompt, Enumerable.Range(0, N).Select(i => revised[i, k])));
            Assert.Equal("m-b", summary.Model);
            Assert.Equal(summary.Response, outputs[k]);
            Assert.Equal(scenario.Score(outputs[k], k), (double)log["logs"]![k]!["score"]!);
        }
        Assert.Equal(Enumerable.Range(0, Items).Average(k => scenario.Score(outputs[k], k)), result.Score!.Value, 9);
    }

    [Fact]
    public async Task One_round_asks_for_no_feedback_and_zero_givers_revise_without_it()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var single = scenario.Backend("m-a");
        await scenario.RunAsync(single, "text_multiagent_feedback", ", \"round\": 1");
        Assert.Empty(single.Of("feedback"));
        Assert.Empty(single.Of("revise"));
        Assert.Equal(N * Items * 2 + Items, single.Calls.Count);

        var silent = scenario.Backend("m-a");
        await scenario.RunAsync(silent, "text_multiagent_feedback", ", \"round\": 2, \"feedback_count\": 0");
        Assert.Empty(silent.Of("feedback"));
        var question = scenario.Test[0].Prompt;
        Assert.Single(silent.Of("revise"), r => r.Prompt == MultiagentFeedbackMethod.RevisePrompt(question, TeamScenario.Solo(silent, "m-c", question), []));
    }

    [Fact]
    public void Givers_are_distinct_others_capped_at_n_minus_1_and_fixed_by_the_seed()
    {
        var draw = MultiagentFeedbackMethod.DrawGivers(7, 2, 4, 50, 2);
        for (var i = 0; i < 4; i++)
        {
            Assert.All(draw[i], g =>
            {
                Assert.Equal(2, g.Length);
                Assert.Equal(2, g.Distinct().Count());
                Assert.DoesNotContain(i, g);
            });
            // Uniform draws over 50 items reach every other model.
            Assert.Equal(Enumerable.Range(0, 4).Where(o => o != i), draw[i].SelectMany(g => g).Distinct().Order());
        }
        Assert.Equal(Flat(draw), Flat(MultiagentFeedbackMethod.DrawGivers(7, 2, 4, 50, 2)));
        Assert.NotEqual(Flat(draw), Flat(MultiagentFeedbackMethod.DrawGivers(7, 3, 4, 50, 2)));
        Assert.All(MultiagentFeedbackMethod.DrawGivers(7, 2, 3, 5, 9), perItem => Assert.All(perItem, g => Assert.Equal(2, g.Length)));
    }

    [Fact]
    public async Task A_run_killed_among_the_feedback_calls_resumes_without_redoing_a_call()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        await scenario.KillAndResumeAsync("text_multiagent_feedback", ", \"round\": 2, \"feedback_count\": 2", 30, "m-c");
    }

    private static string Flat(int[][][] draw) => string.Join(";", draw.Select(r => string.Join("|", r.Select(g => string.Join(",", g)))));
}
