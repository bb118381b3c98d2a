using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_heterogeneous_swarms (methods-text.md §4): graph decoding and order, and runs through the real engine
/// and evaluator with scripted models.</summary>
public sealed class HeterogeneousSwarmsTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Items = TeamScenario.Limit;

    // ratio 0.5 of the 4 dev items: 2 items per graph.
    private const string Small = ", \"population\": 2, \"max_iterations\": 1, \"ratio\": 0.5";
    private const string Search = ", \"population\": 3, \"max_iterations\": 3, \"ratio\": 0.5";

    [Fact]
    public void Every_decoded_graph_is_an_in_tree_ordered_with_its_sink_last()
    {
        var draw = SeededRng.For(11, "matrices");
        for (var trial = 0; trial < 300; trial++)
        {
            var n = 1 + trial % 6;
            var particle = Enumerable.Range(0, n * n).Select(_ => (draw.NextDouble() * 100) - 50).ToArray();
            if (trial % 3 == 0)
            {
                // A zero row sum (the reference divides by it).
                var row = draw.Next(n);
                for (var j = 0; j < n; j++)
                {
                    particle[row * n + j] = 0;
                }
            }
            var graph = HeterogeneousSwarms.Decode(HeterogeneousSwarms.Matrix(particle), HeterogeneousSwarms.GraphTopP, SeededRng.For((ulong)trial, "decode"));

            Assert.Equal(n - 1, graph.Edges.Count);
            Assert.All(graph.Edges, e => Assert.NotEqual(e.From, e.To));
            var outDegree = Enumerable.Range(0, n).Select(i => graph.Edges.Count(e => e.From == i)).ToArray();
            Assert.Equal(0, outDegree[graph.Sink]);
            Assert.All(Enumerable.Range(0, n).Where(i => i != graph.Sink), i => Assert.Equal(1, outDegree[i]));
            Assert.Equal(Enumerable.Range(0, n), graph.Order.Order());
            Assert.Equal(graph.Sink, graph.Order[^1]);
            Assert.All(graph.Edges, e => Assert.True(Position(graph, e.From) < Position(graph, e.To)));
            Assert.Equal(graph.Order.Count, graph.Levels().Sum(l => l.Count));
        }
    }

    [Fact]
    public void Threshold_zero_decodes_deterministically_and_a_zero_row_sum_is_the_sink()
    {
        var draw = SeededRng.For(5, "matrices");
        for (var trial = 0; trial < 50; trial++)
        {
            var matrix = HeterogeneousSwarms.Matrix([.. Enumerable.Range(0, 16).Select(_ => (draw.NextDouble() * 2) - 1)]);
            var one = HeterogeneousSwarms.Decode(matrix, 0, SeededRng.For(1, "a"));
            var other = HeterogeneousSwarms.Decode(matrix, 0, SeededRng.For(2, "b"));
            Assert.Equal(one.Edges, other.Edges);
        }
        // Row sums 3, 0, 2: node 1 has the infinite 1/rowsum; then node 0 (the larger sum), which only reads towards 1;
        // then node 2, whose largest entry towards placed nodes is node 0.
        double[][] a = [[0, 1, 2], [0.5, 0, -0.5], [1.5, 0.5, 0]];
        var graph = HeterogeneousSwarms.Decode(a, 0, SeededRng.For(1, "x"));
        Assert.Equal(1, graph.Sink);
        Assert.Equal([(0, 1), (2, 0)], graph.Edges);
        Assert.Equal([2, 0, 1], graph.Order);
    }

    [Fact]
    public void The_particle_is_read_row_major_with_a_zero_diagonal()
    {
        var matrix = HeterogeneousSwarms.Matrix([1, 2, 3, 4]);
        Assert.Equal([0.0, 2.0], matrix[0]);
        Assert.Equal([3.0, 0.0], matrix[1]);
        Assert.Throws<ArgumentException>(() => HeterogeneousSwarms.Matrix([1, 2, 3]));
    }

    [Fact]
    public void The_order_takes_ready_nodes_in_index_passes_and_levels_group_nodes_that_are_ready_together()
    {
        // 2 → 1 → 0 ← 3: the first pass takes 2, then 3 (1 is passed before 2 frees it), the second 1, the third 0.
        var edges = new List<(int, int)> { (3, 0), (1, 0), (2, 1) };
        Assert.Equal([2, 3, 1, 0], HeterogeneousSwarms.TopologicalOrder(4, edges));
        // 0 → 1 → 2: one pass takes all three.
        Assert.Equal([0, 1, 2], HeterogeneousSwarms.TopologicalOrder(3, [(0, 1), (1, 2)]));
        var graph = new SwarmGraph(0, edges, [2, 3, 1, 0]);
        Assert.Equal([[2, 3], [1], [0]], graph.Levels().Select(l => l.ToArray()).ToArray());
        Assert.Equal([1, 3], graph.Predecessors(0));
        Assert.Throws<ArgumentException>(() => HeterogeneousSwarms.TopologicalOrder(2, [(0, 1), (1, 0)]));
    }

    [Fact]
    public void Node_prompts_carry_the_reference_instructions_and_numbered_previous_responses()
    {
        Assert.Equal("Please answer the following question.\nQ?", HeterogeneousSwarms.NodePrompt("Q?", [], sink: true));
        Assert.Equal(
            "Please answer the following question with the help of previous responses, feel free to ignore wrong or unhelpful responses.\n"
            + "Previous response from node 1: one\n\nPrevious response from node 3: three\n\nQ?",
            HeterogeneousSwarms.NodePrompt("Q?", [(0, "one"), (2, "three")], sink: false));
        Assert.StartsWith(HeterogeneousSwarms.InnerInstruction + " Make sure to provide a final answer.\nPrevious response from node 2: x\n\n",
            HeterogeneousSwarms.NodePrompt("Q?", [(1, "x")], sink: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Population_two_one_iteration_costs_each_model_two_dev_graphs_and_one_test_graph_and_logs_the_sink()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-a");
        var events = new ConcurrentQueue<RunEvent>();
        var (result, log, _) = await scenario.RunAsync(backend, "text_heterogeneous_swarms", Small, events);

        // 2 particles × 2 dev items + 4 test items per model; the other calls are the engine's baselines (each model
        // alone on the test items' own questions).
        foreach (var model in TeamScenario.Models)
        {
            var calls = backend.Calls.Where(c => c.Model == model).ToList();
            Assert.Equal(2 * 2 + Items, calls.Count(c => c.Prompt.StartsWith(HeterogeneousSwarms.FirstInstruction[..^1], StringComparison.Ordinal)));
            Assert.Equal(Items, calls.Count(c => scenario.Test.Any(t => t.Prompt == c.Prompt)));
            Assert.Equal(2 * 2 + Items + Items, calls.Count);
        }
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "best_adjacency_matrix", "avg_test_score", "logs", "moco"],
            log.Select(p => p.Key).ToList());
        var graph = Graph(log);
        var outputs = TeamScenario.Outputs(log);
        for (var k = 0; k < Items; k++)
        {
            Assert.Equal(Simulate(backend, graph, scenario.Test[k].Prompt), outputs[k]);
        }
        Assert.Equal(Enumerable.Range(0, Items).Average(k => scenario.Score(outputs[k], k)), result.Score!.Value, 9);
        var matrix = log["best_adjacency_matrix"]!.AsArray();
        Assert.Equal(3, matrix.Count);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(0.0, (double)matrix[i]![i]!));
        // The search phase counts its calls: 2 particles × 3 nodes × 2 dev items.
        Assert.Equal(12, Assert.Single(events, e => e.PhaseStarted?.Name == "search · iteration 1/1").PhaseStarted.Total);
        Assert.Equal(12, Assert.Single(events, e => e.PhaseFinished?.Name == "search · iteration 1/1").PhaseFinished.Items);
    }

    [Fact]
    public async Task The_test_graph_is_the_one_behind_the_global_best_and_dev_scores_are_the_sinks_scores()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        const int Expert = 0;
        var backend = scenario.Backend(TeamScenario.Models[Expert]);
        var events = new ConcurrentQueue<RunEvent>();
        var (result, log, _) = await scenario.RunAsync(backend, "text_heterogeneous_swarms", Search, events);

        var moco = log["moco"]!;
        var iterations = moco["iterations"]!.AsArray();
        Assert.Equal(3, iterations.Count);
        Assert.Equal(["search · iteration 1/3", "search · iteration 2/3", "search · iteration 3/3"],
            events.Select(e => e.PhaseStarted?.Name).Where(name => name?.StartsWith("search", StringComparison.Ordinal) == true));
        var all = new List<(double Score, SwarmGraph Graph)>();
        var history = new List<double>();
        foreach (var iteration in iterations)
        {
            var scores = iteration!["dev_scores"]!.AsArray().Select(s => (double)s!).ToList();
            var graphs = iteration["graphs"]!.AsArray().Select(g => SwarmGraph.FromJson(g!)).ToList();
            for (var p = 0; p < scores.Count; p++)
            {
                // Each particle's dev score is the mean score of its sink's answers on the 2 dev items.
                var expected = Enumerable.Range(0, 2).Average(k =>
                    TeamScenario.Letter(Simulate(backend, graphs[p], scenario.Dev[k].Prompt)) == scenario.Dev[k].Letter ? 1.0 : 0.0);
                Assert.Equal(expected, scores[p], 9);
                // The expert answers right wherever it sits and the others wrong: a graph scores iff the expert is its sink.
                Assert.Equal(graphs[p].Sink == Expert ? 1.0 : 0.0, scores[p]);
                all.Add((scores[p], graphs[p]));
            }
            history.Add((double)iteration["global_best_score"]!);
        }
        // The global best never falls and ends at the best evaluated score; the test graph is the first to reach it.
        Assert.Equal(history.Order(), history);
        var best = all.Max(a => a.Score);
        Assert.Equal(best, history[^1]);
        Assert.Equal(best, (double)moco["best_dev_score"]!);
        var first = all.First(a => a.Score == best).Graph;
        Assert.Equal(first.Edges, Graph(log).Edges);
        Assert.Equal(first.Order, Graph(log).Order);
        // Not the first particle of the first iteration (the pick has to follow the scores), and the expert answers the test.
        Assert.NotEqual(best, all[0].Score);
        Assert.Equal(Expert, Graph(log).Order[^1]);
        Assert.Equal(1.0, result.Score!.Value);
    }

    [Fact]
    public async Task Reference_mode_answers_the_test_with_a_fresh_decode_of_the_best_particle()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var backend = scenario.Backend("m-a");
        var (engine, _) = await harness.EngineAsync(backend);
        var config = EngineHarness.Config("text_heterogeneous_swarms", TeamScenario.ThreeModels, Search).Replace("\"seed\": 7", "\"compat\": \"reference\", \"seed\": 7",
            StringComparison.Ordinal);
        var result = await engine.StartAsync(harness.Start(config, Items), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        var log = harness.ReadRunLog(result.RunId);

        // The logged matrix is the particle (zero diagonal), decoded again with the test's own stream (run seed 7).
        var matrix = log["best_adjacency_matrix"]!.AsArray().Select(r => r!.AsArray().Select(v => (double)v!).ToArray()).ToArray();
        var fresh = HeterogeneousSwarms.Decode(matrix, HeterogeneousSwarms.GraphTopP, SeededRng.For(7, "text_heterogeneous_swarms", "decode", "test"));
        Assert.Equal(fresh.Edges, Graph(log).Edges);
        var outputs = TeamScenario.Outputs(log);
        Assert.All(Enumerable.Range(0, Items), k => Assert.Equal(Simulate(backend, fresh, scenario.Test[k].Prompt), outputs[k]));
    }

    [Fact]
    public async Task A_stalled_global_best_stops_the_search_after_patience_updates()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        // No expert: every graph scores 0, so with patience 2 the third update stalls and the search stops there.
        var backend = scenario.Backend();
        var events = new ConcurrentQueue<RunEvent>();
        var (_, log, _) = await scenario.RunAsync(backend, "text_heterogeneous_swarms",
            ", \"population\": 2, \"max_iterations\": 5, \"ratio\": 0.5, \"patience\": 2", events);

        Assert.Equal(3, log["moco"]!["iterations"]!.AsArray().Count);
        Assert.True((bool)log["moco"]!["early_stop"]!);
        Assert.DoesNotContain(events, e => e.PhaseStarted?.Name == "search · iteration 4/5");
        // 3 iterations × 2 particles × 2 dev items + 4 test items per model, besides the baselines.
        Assert.Equal(3 * (3 * 2 * 2 + Items), backend.Calls.Count(c => c.Prompt.StartsWith("Please answer the following question", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Equal_seeds_give_equal_runs()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        var (_, one, _) = await scenario.RunAsync(scenario.Backend("m-a"), "text_heterogeneous_swarms", Search);
        var (_, two, _) = await scenario.RunAsync(scenario.Backend("m-a"), "text_heterogeneous_swarms", Search);
        Assert.Equal(EngineHarness.ReferencePart(one).ToJsonString(), EngineHarness.ReferencePart(two).ToJsonString());
        Assert.Equal(one["moco"]!["iterations"]!.ToJsonString(), two["moco"]!["iterations"]!.ToJsonString());
    }

    [Fact]
    public async Task A_killed_run_resumes_from_its_last_finished_iteration_without_redoing_a_call()
    {
        var scenario = await TeamScenario.LoadAsync(harness);
        // 18 calls per iteration: killed inside iteration 2.
        await scenario.KillAndResumeAsync("text_heterogeneous_swarms", Search, 25, "m-a");
    }

    private static int Position(SwarmGraph graph, int node) => graph.Order.ToList().IndexOf(node);

    private static SwarmGraph Graph(JsonObject log) => new(-1,
        [.. log["moco"]!["best_graph_edges"]!.AsArray().Select(e => ((int)e![0]!, (int)e[1]!))],
        [.. log["moco"]!["best_topological_order"]!.AsArray().Select(o => (int)o!)]);

    // The sink's answer to one question, rebuilt from the served calls: each node's prompt is composed from its
    // predecessors' answers and answered by the call the model served for exactly that prompt.
    private static string Simulate(TeamBackend backend, SwarmGraph graph, string question)
    {
        var answers = new string[TeamScenario.Models.Length];
        foreach (var node in graph.Order)
        {
            var previous = graph.Edges.Where(e => e.To == node).Select(e => e.From).Order().Select(u => (u, answers[u])).ToList();
            var prompt = HeterogeneousSwarms.NodePrompt(question, previous, node == graph.Order[^1]);
            answers[node] = backend.Calls.First(c => c.Model == TeamScenario.Models[node] && c.Prompt == prompt).Response;
        }
        return answers[graph.Order[^1]];
    }
}
