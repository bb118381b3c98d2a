using MoCo.Hosting.Randomness;
using MoCo.Router.Routing;

namespace MoCo.Router.Graph;

/// <summary>api_graph_routing's training settings (methods-api.md §5 config): h, AdamW lr and weight decay, optimiser
/// steps, masked passes per step (the general `batch_size`), the share of train edges visible per pass, and the
/// train/val/test split of the dev queries.</summary>
public sealed record GraphTrainingOptions(int Hidden, double LearningRate, double WeightDecay, int Epochs, int Passes, double MaskRate,
    IReadOnlyList<double> SplitRatio);

/// <summary>A fitted GraphRouter: the best-on-validation weights, their macro-F1, the query split, and the graph
/// (embeddings and edges with all train + val edges visible) the routes are computed on.</summary>
public sealed record GraphRouterFit(GraphRouterWeights Weights, double BestF1, int TrainQueries, int ValQueries, bool ValidatedOnTrain,
    GraphEmbeddings Graph, IReadOnlyList<GraphEdge> KnownEdges);

/// <summary>
/// GraphRouter training (methods-api.md §5 steps 2, 3, 5) and routing (step 6). Edges (query j, model m) query-major
/// with features (S, 1, S) and labels one-hot on argmax_m S[m][j] (lowest index on ties; cost is constant, so the
/// scenario never changes a label). Each AdamW step averages the BCE of `Passes` passes in train mode, each hiding
/// every train edge independently with probability 1 − mask rate and predicting the hidden ones; after each step the
/// val queries are routed in eval mode with all train edges visible, and the weights with the best macro-F1 (strict
/// improvement) are kept. With no val queries (n &lt; 10) the train queries validate (fix). All randomness comes from
/// the seed, so the same seed gives the same weights.
/// </summary>
public static class GraphRouterTraining
{
    /// <summary>Fits the network on the dev profile <paramref name="profile"/> (S[m][j]).</summary>
    public static GraphRouterFit Fit(GraphEmbeddings graph, DevProfile profile, GraphTrainingOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(options);
        var n = graph.Queries.Count;
        if (n == 0)
        {
            throw new ArgumentException("api_graph_routing trains on the dev split, and it is empty: use a task with dev items", nameof(graph));
        }
        var models = graph.Models.Count;
        var train = (int)Math.Floor(options.SplitRatio[0] * n);
        var val = (int)Math.Floor(options.SplitRatio[1] * n);
        var edges = Edges(profile, 0, n);
        var trainEdges = edges.Where(e => e.Query < train).ToList();
        var validatedOnTrain = val == 0;
        var (valFrom, valTo) = validatedOnTrain ? (0, train) : (train, train + val);

        var draws = new SplitMix64(CounterRng.Bits(seed, "graph_routing", "weights", -1, 0));
        var weights = GraphRouterWeights.Initial(graph.Task.Length, options.Hidden, draws.NextDouble);
        var optimizer = new AdamW(weights, options.LearningRate, options.WeightDecay);
        var masks = new SplitMix64(CounterRng.Bits(seed, "graph_routing", "masks", -1, 0));
        var best = weights.Clone();
        var bestF1 = -1.0;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            var grads = weights.ZerosLike();
            for (var pass = 0; pass < options.Passes; pass++)
            {
                var visible = new List<GraphEdge>();
                var targets = new List<GraphEdge>();
                foreach (var edge in trainEdges)
                {
                    (masks.NextDouble() < options.MaskRate ? visible : targets).Add(edge);
                }
                var forward = GraphRouterNet.Forward(weights, graph, visible, train: true);
                if (targets.Count == 0)
                {
                    continue;
                }
                var scale = 1.0 / targets.Count / options.Passes;
                GraphRouterNet.Backward(weights, graph, forward,
                    [.. targets.Select(t => (t.Query, t.Model, (Sigmoid(forward.Logit(t.Query, t.Model)) - Label(profile, t.Query, t.Model)) * scale))], grads);
            }
            optimizer.Step(grads);
            var eval = GraphRouterNet.Forward(weights, graph, trainEdges, train: false);
            var truth = Enumerable.Range(valFrom, valTo - valFrom).Select(j => Best(profile, j)).ToList();
            var predicted = Enumerable.Range(valFrom, valTo - valFrom).Select(j => ArgMax(models, m => eval.Logit(j, m))).ToList();
            var f1 = MacroF1(truth, predicted);
            if (f1 > bestF1)
            {
                (bestF1, best) = (f1, weights.Clone());
            }
        }
        return new GraphRouterFit(best, bestF1, train, validatedOnTrain ? 0 : val, validatedOnTrain, graph,
            [.. edges.Where(e => e.Query < train + val)]);
    }

    /// <summary>The edges of queries [from, to) × every model, query-major, features (S, 1, S) (NaN scored 0).</summary>
    public static IReadOnlyList<GraphEdge> Edges(DevProfile profile, int from, int to) =>
        [.. Enumerable.Range(from, to - from).SelectMany(j => Enumerable.Range(0, profile.Models).Select(m =>
        {
            var s = Score(profile, m, j);
            return new GraphEdge(j, m, [s, 1.0, s]);
        }))];

    /// <summary>The label model of dev query <paramref name="query"/>: argmax_m S, lowest index on ties.</summary>
    public static int Best(DevProfile profile, int query) => ArgMax(profile.Models, m => Score(profile, m, query));

    /// <summary>Macro-F1 as sklearn computes it: classes = the union of true and predicted labels, an undefined
    /// per-class F1 counts 0.</summary>
    public static double MacroF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        var classes = truth.Concat(predicted).Distinct().ToList();
        if (classes.Count == 0)
        {
            return 0;
        }
        return classes.Average(c =>
        {
            var tp = truth.Where((t, i) => t == c && predicted[i] == c).Count();
            var fp = truth.Where((t, i) => t != c && predicted[i] == c).Count();
            var fn = truth.Where((t, i) => t == c && predicted[i] != c).Count();
            return 2 * tp + fp + fn == 0 ? 0.0 : 2.0 * tp / (2 * tp + fp + fn);
        });
    }

    /// <summary>The first index with the largest value.</summary>
    public static int ArgMax(int count, Func<int, double> value)
    {
        var best = 0;
        for (var i = 1; i < count; i++)
        {
            if (value(i) > value(best))
            {
                best = i;
            }
        }
        return best;
    }

    private static double Label(DevProfile profile, int query, int model) => Best(profile, query) == model ? 1 : 0;

    private static double Score(DevProfile profile, int model, int query) => double.IsNaN(profile[model, query]) ? 0 : profile[model, query];

    internal static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
