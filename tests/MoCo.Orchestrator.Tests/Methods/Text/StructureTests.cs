using System.Text.Json;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_structure (methods-text.md §9): the graphs, and runs through the real engine and evaluator with
/// scripted models.</summary>
public sealed class StructureTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Items = TeamScenario.Limit;
    private const string Directed = ", \"structure_type\": \"other\", \"structure_matrix\": [[0,1,0],[1,0,0],[1,1,0]], \"num_rounds\": 3";

    [Theory]
    [InlineData("chain", "01 12 23 34")]
    [InlineData("tree", "01 02 13 14")]
    [InlineData("star", "01 02 03 04 12 14 23 34")]
    [InlineData("circle", "01 04 12 23 34")]
    [InlineData("complete", "01 02 03 04 12 13 14 23 24 34")]
    public void Built_in_graphs_over_five_models_have_the_spec_edges(string type, string edges)
    {
        var a = CommunicationGraph.Build(type, 5, default, CompatMode.Moco);
        Assert.Equal(edges, string.Join(" ", Edges(a)));
        for (var s = 0; s < 5; s++)
        {
            for (var t = 0; t < 5; t++)
            {
                Assert.Equal(a[s][t], a[t][s]);
            }
        }
    }

    [Fact]
    public void A_star_of_four_is_complete_and_self_loops_exist_only_in_reference_mode()
    {
        Assert.Equal(Edges(CommunicationGraph.Build("complete", 4, default, CompatMode.Moco)), Edges(CommunicationGraph.Build("star", 4, default, CompatMode.Moco)));
        foreach (var (type, n) in new[] { ("star", 2), ("circle", 1) })
        {
            var moco = CommunicationGraph.Build(type, n, default, CompatMode.Moco);
            Assert.All(Enumerable.Range(0, n), i => Assert.False(moco[i][i]));
            var reference = CommunicationGraph.Build(type, n, default, CompatMode.Reference);
            Assert.True(reference[n - 1][n - 1]);
        }
        Assert.Throws<ArgumentException>(() => CommunicationGraph.Build("star", 1, default, CompatMode.Moco));
    }

    [Fact]
    public void Other_is_directed_with_its_diagonal_and_in_neighbours_ascend()
    {
        using var matrix = JsonDocument.Parse("[[1,1,0],[0,0,0],[1,1,0]]");
        var a = CommunicationGraph.Build("other", 3, matrix.RootElement, CompatMode.Moco);
        Assert.Equal([0, 2], CommunicationGraph.InNeighbours(a, 0));
        Assert.Equal([0, 2], CommunicationGraph.InNeighbours(a, 1));
        Assert.Empty(CommunicationGraph.InNeighbours(a, 2));
    }

    [Fact]
    public void Config_rules_refuse_a_one_model_star_and_warn_about_an_ignored_matrix_and_a_single_round()
    {
        static string Config(string models, string hyper) =>
            $$$"""{"method":"text_structure","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":[{{{models}}}],"hyperparameters":{{{{hyper}}}}}""";
        var star = TestData.Validate(Config("\"a\"", "\"structure_type\": \"star\""));
        Assert.Contains(star.Errors, e => e.Path == "hyperparameters.structure_type" && e.Message.Contains("at least 2 models", StringComparison.Ordinal));
        var chain = TestData.Validate(Config("\"a\", \"b\"", "\"structure_type\": \"chain\", \"structure_matrix\": [[0,1],[1,0]], \"num_rounds\": 1"));
        Assert.True(chain.Valid);
        Assert.Contains(chain.Warnings, w => w.Path == "hyperparameters.structure_matrix");
        Assert.Contains(chain.Warnings, w => w.Path == "hyperparameters.num_rounds");
    }

    [Fact]
    public async Task A_model_without_in_edges_keeps_its_first_answers_which_win_when_it_is_best_on_dev()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-c");
        var (result, log, _) = await scenario.RunAsync(backend, "text_structure", Directed);

        // 12 dev + 12 round 1 + 8 + 8: model 2 has no in-edge and is never called after round 1.
        Assert.Equal(Items * (3 + 3 + 2 + 2), backend.Calls.Count);
        Assert.DoesNotContain(backend.Of("update"), c => c.Model == "m-c");
        Assert.Equal(2, (int)log["moco"]!["best_on_dev"]!);
        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < Items; k++)
        {
            Assert.Equal(TeamScenario.Solo(backend, "m-c", scenario.Test[k].Prompt), outputs[k]);
        }
        // The expert's own first answers are right: the run scores 1.
        Assert.Equal(1.0, result.Score!.Value);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        Assert.Equal("text_structure", (string)log["method"]!);
        Assert.Equal(3, log["moco"]!["final_test_scores"]!.AsObject().Count);
    }

    [Fact]
    public async Task Each_round_shows_a_model_its_in_neighbours_previous_answers_under_numbered_labels()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-a");
        var (result, log, _) = await scenario.RunAsync(backend, "text_structure", Directed);

        var updates = backend.Of("update");
        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < Items; k++)
        {
            var question = scenario.Test[k].Prompt;
            var round = TeamScenario.Models.Select(m => TeamScenario.Solo(backend, m, question)).ToArray();
            for (var r = 2; r <= 3; r++)
            {
                // Model 0 sees model 1 then model 2 (labels 1 and 2), model 1 sees models 0 and 2; model 2 keeps its answer.
                var zero = Assert.Single(updates, u => u.Prompt == StructureMethod.UpdatePrompt(question, round[0], [round[1], round[2]]));
                var one = Assert.Single(updates, u => u.Prompt == StructureMethod.UpdatePrompt(question, round[1], [round[0], round[2]]));
                Assert.Equal(("m-a", "m-b"), (zero.Model, one.Model));
                Assert.Contains($"Assistant 1: {round[1]}\nAssistant 2: {round[2]}\n", zero.Prompt, StringComparison.Ordinal);
                round = [zero.Response, one.Response, round[2]];
            }
            Assert.Equal(round[0], outputs[k]);
        }
        Assert.Equal(Enumerable.Range(0, Items).Average(k => scenario.Score(outputs[k], k)), result.Score!.Value, 9);
    }

    [Fact]
    public async Task A_killed_run_resumes_without_redoing_a_call()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        await scenario.KillAndResumeAsync("text_structure", ", \"structure_type\": \"circle\", \"num_rounds\": 2", 26, "m-a");
    }

    private static IEnumerable<string> Edges(bool[][] a) =>
        from s in Enumerable.Range(0, a.Length) from t in Enumerable.Range(0, a.Length) where s < t && a[s][t] select $"{s}{t}";
}
