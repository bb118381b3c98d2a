using MoCo.Hosting.Randomness;
using MoCo.Router.Graph;
using MoCo.Router.Routing;

namespace MoCo.Router.Tests;

/// <summary>api_graph_routing's network (methods-api.md §5): labels, zero weights, an exact gradient (finite differences),
/// reproducible training, and perfect accuracy on a separable toy problem.</summary>
public sealed class GraphRouterTests
{
    internal static readonly GraphTrainingOptions Options = new(Hidden: 4, LearningRate: 0.05, WeightDecay: 1e-4, Epochs: 60, Passes: 4, MaskRate: 0.5,
        SplitRatio: [0.8, 0.1, 0.1]);

    // Queries of two clusters along the first axes; model 0 answers cluster A right, model 1 cluster B.
    internal static (GraphEmbeddings Graph, DevProfile Profile) Toy(int n, int models = 2)
    {
        var queries = Enumerable.Range(0, n).Select(j =>
        {
            var jitter = (j * 37 % 11) / 50.0;
            return j % 2 == 0 ? new[] { 1.0, jitter, 0.1, 0 } : new[] { jitter, 1.0, 0, 0.1 };
        }).ToList();
        var modelVectors = Enumerable.Range(0, models).Select(m => new[] { m == 0 ? 1.0 : 0, m == 1 ? 1.0 : 0, 0.5, 0.5 }).ToList();
        var scores = Enumerable.Range(0, models).Select(m => (IReadOnlyList<double>)[.. Enumerable.Range(0, n).Select(j => j % 2 == m ? 1.0 : 0.0)]).ToList();
        return (new GraphEmbeddings([0.3, 0.3, 0.3, 0.3], queries, modelVectors), new DevProfile(scores));
    }

    [Fact]
    public void Labels_are_the_best_model_with_the_lowest_index_on_ties_and_edges_carry_effect_cost_effect()
    {
        var profile = new DevProfile([[0, 1, 1], [1, 1, 0]]);
        Assert.Equal([1, 0, 0], Enumerable.Range(0, 3).Select(j => GraphRouterTraining.Best(profile, j)));
        var edges = GraphRouterTraining.Edges(profile, 0, 2);
        Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], edges.Select(e => (e.Query, e.Model)));
        Assert.Equal([1.0, 1.0, 1.0], edges[1].Features);
    }

    [Fact]
    public void Macro_f1_counts_the_union_of_classes_and_undefined_classes_as_zero()
    {
        Assert.Equal(1.0, GraphRouterTraining.MacroF1([0, 1, 1], [0, 1, 1]), 12);
        // Class 0: tp 1, fp 1, fn 0 → 2/3; class 1: tp 0, fn 1 → 0; class 2: predicted only → 0.
        Assert.Equal((2.0 / 3) / 2, GraphRouterTraining.MacroF1([0, 1], [0, 0]), 12);
        Assert.Equal(0.0, GraphRouterTraining.MacroF1([1], [2]), 12);
    }

    [Fact]
    public void All_zero_weights_score_every_edge_one_half_and_route_to_model_0()
    {
        var (graph, profile) = Toy(6, models: 3);
        var zero = new GraphRouterWeights(4, 4);
        var scores = new GraphRouterModel(zero, graph, GraphRouterTraining.Edges(profile, 0, 6)).Scores([0.2, 0.9, 0, 0]);
        Assert.All(scores, s => Assert.Equal(0.5, s, 12));
        Assert.Equal(0, GraphRouterTraining.ArgMax(scores.Count, m => scores[m]));
    }

    [Fact]
    public void The_gradient_matches_finite_differences()
    {
        var (graph, profile) = Toy(5, models: 3);
        var rng = new SplitMix64(9);
        var weights = GraphRouterWeights.Initial(4, 3, rng.NextDouble);
        // Non-trivial BatchNorm affine parameters, so their gradients are exercised too.
        for (var i = 0; i < weights.Tensors[GraphRouterWeights.Bn1Gamma].Length; i++)
        {
            weights.Tensors[GraphRouterWeights.Bn1Gamma][i] = 0.5 + rng.NextDouble();
            weights.Tensors[GraphRouterWeights.Bn2Beta][i] = rng.NextDouble() - 0.5;
        }
        var visible = GraphRouterTraining.Edges(profile, 0, 5).Where((_, k) => k % 2 == 0).ToList();
        (int, int, double)[] targets = [(0, 1, 0.7), (1, 0, -1.3), (3, 2, 0.4), (4, 1, 1.1)];
        double Loss() => targets.Sum(t => t.Item3 * GraphRouterNet.Forward(weights, graph, visible, train: true).Logit(t.Item1, t.Item2));

        var grads = weights.ZerosLike();
        GraphRouterNet.Backward(weights, graph, GraphRouterNet.Forward(weights, graph, visible, train: true), targets, grads);
        var checkedValues = 0;
        for (var t = 0; t < weights.Tensors.Length; t++)
        {
            for (var i = 0; i < weights.Tensors[t].Length; i += 3)
            {
                var saved = weights.Tensors[t][i];
                weights.Tensors[t][i] = saved + 1e-6;
                var up = Loss();
                weights.Tensors[t][i] = saved - 1e-6;
                var down = Loss();
                weights.Tensors[t][i] = saved;
                var numeric = (up - down) / 2e-6;
                Assert.True(Math.Abs(numeric - grads[t][i]) <= 1e-5 + 1e-4 * Math.Abs(numeric), $"tensor {t}[{i}]: analytic {grads[t][i]}, numeric {numeric}");
                checkedValues++;
            }
        }
        Assert.True(checkedValues > 60);
    }

    [Fact]
    public void A_separable_problem_reaches_perfect_validation_and_routes_each_cluster_to_its_model()
    {
        var (graph, profile) = Toy(20);
        var fit = GraphRouterTraining.Fit(graph, profile, Options with { SplitRatio = [0.5, 0.5, 0], Epochs = 400, LearningRate = 0.02 }, seed: 3);
        Assert.Equal((10, 10, false), (fit.TrainQueries, fit.ValQueries, fit.ValidatedOnTrain));
        Assert.Equal(1.0, fit.BestF1, 12);
        for (var j = 0; j < 20; j++)
        {
            var scores = new GraphRouterModel(fit.Weights, fit.Graph, fit.KnownEdges).Scores(graph.Queries[j]);
            Assert.Equal(j % 2, GraphRouterTraining.ArgMax(2, m => scores[m]));
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_few_queries_validate_on_train()
    {
        var (graph, profile) = Toy(6);
        var a = GraphRouterTraining.Fit(graph, profile, Options with { Epochs = 5 }, seed: 11);
        var b = GraphRouterTraining.Fit(graph, profile, Options with { Epochs = 5 }, seed: 11);
        var c = GraphRouterTraining.Fit(graph, profile, Options with { Epochs = 5 }, seed: 12);
        Assert.Equal(a.Weights.ToJson().ToJsonString(), b.Weights.ToJson().ToJsonString());
        Assert.NotEqual(a.Weights.ToJson().ToJsonString(), c.Weights.ToJson().ToJsonString());
        Assert.True(a.ValidatedOnTrain);
        Assert.Equal(a.Weights.ToJson().ToJsonString(), GraphRouterWeights.FromJson(a.Weights.ToJson()).ToJson().ToJsonString());
    }

    [Fact]
    public void One_model_gets_every_query()
    {
        var (graph, profile) = Toy(10, models: 1);
        var fit = GraphRouterTraining.Fit(graph, profile, Options with { Epochs = 3 }, seed: 1);
        Assert.Single(new GraphRouterModel(fit.Weights, fit.Graph, fit.KnownEdges).Scores(graph.Queries[0]));
    }
}
