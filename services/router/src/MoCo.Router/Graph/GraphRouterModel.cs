using System.Text.Json.Nodes;

namespace MoCo.Router.Graph;

/// <summary>
/// A fitted GraphRouter as it routes (methods-api.md §5 step 6): the weights, the dev graph's embeddings and the edges
/// visible at routing time (all train + val edges). The dev graph's eval-mode pass does not depend on the query
/// routed (messages only flow query → model), so it runs once here and each query costs one query node and N edge
/// logits. It is also the stored router's payload, so the router service routes a new prompt exactly as the run that
/// fitted it routed its test items.
/// </summary>
public sealed class GraphRouterModel
{
    private readonly GraphRouterNet.Pass _pass;

    /// <summary>Runs the dev graph's pass once.</summary>
    public GraphRouterModel(GraphRouterWeights weights, GraphEmbeddings graph, IReadOnlyList<GraphEdge> known)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(known);
        Weights = weights;
        Graph = graph;
        Known = known;
        _pass = GraphRouterNet.Forward(weights, graph, known, train: false);
    }

    /// <summary>The network's weights.</summary>
    public GraphRouterWeights Weights { get; }

    /// <summary>Task, dev query and model description embeddings.</summary>
    public GraphEmbeddings Graph { get; }

    /// <summary>The edges visible when routing.</summary>
    public IReadOnlyList<GraphEdge> Known { get; }

    /// <summary>Models routed between.</summary>
    public int Models => Graph.Models.Count;

    /// <summary>Edge scores σ(mean(x0[q]·x2[m])) of <paramref name="query"/> (its embedding) against each model.</summary>
    public IReadOnlyList<double> Scores(double[] query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Length != Graph.Task.Length)
        {
            throw new ArgumentException($"the query embedding has {query.Length} values and the router was fitted on {Graph.Task.Length}", nameof(query));
        }
        var x0 = GraphRouterNet.QueryNode(Weights, Graph.Task, query);
        return [.. Enumerable.Range(0, Models).Select(m => GraphRouterTraining.Sigmoid(_pass.Logit(x0, m)))];
    }

    /// <summary>The model with the highest score, the lowest index on ties.</summary>
    public static int Route(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return GraphRouterTraining.ArgMax(scores.Count, m => scores[m]);
    }

    /// <summary>{weights, graph: {task, queries, models}, edges: [[query, model, features…]…]}; doubles round-trip
    /// exactly, so <see cref="FromJson"/> scores bit for bit as this router does.</summary>
    public JsonObject ToJson() => new()
    {
        ["weights"] = Weights.ToJson(),
        ["graph"] = new JsonObject
        {
            ["task"] = Vector(Graph.Task),
            ["queries"] = new JsonArray([.. Graph.Queries.Select(q => (JsonNode)Vector(q))]),
            ["models"] = new JsonArray([.. Graph.Models.Select(m => (JsonNode)Vector(m))]),
        },
        ["edges"] = new JsonArray([.. Known.Select(e => (JsonNode)new JsonArray([e.Query, e.Model, .. e.Features.Select(f => (JsonNode?)JsonValue.Create(f))]))]),
    };

    /// <summary>A router from <see cref="ToJson"/>'s fields in <paramref name="payload"/>.</summary>
    /// <exception cref="InvalidDataException">The payload lacks the graph or edges (a router stored before graph routers
    /// were servable) or its arrays are malformed.</exception>
    public static GraphRouterModel FromJson(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload["weights"] is not JsonObject weights || payload["graph"] is not JsonObject graph || payload["edges"] is not JsonArray edges)
        {
            throw new InvalidDataException("the stored graph router has no dev graph (weights, graph, edges): it was stored by an older version; run the method again to store a servable router");
        }
        try
        {
            var embeddings = new GraphEmbeddings(Doubles(graph["task"]!), [.. graph["queries"]!.AsArray().Select(q => Doubles(q!))],
                [.. graph["models"]!.AsArray().Select(m => Doubles(m!))]);
            var known = edges.Select(e =>
            {
                var values = e!.AsArray();
                return new GraphEdge((int)values[0]!, (int)values[1]!, [.. values.Skip(2).Select(v => (double)v!)]);
            }).ToList();
            return new GraphRouterModel(GraphRouterWeights.FromJson(weights), embeddings, known);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"the stored graph router is malformed ({e.Message}); run the method again to store it anew", e);
        }
    }

    private static JsonArray Vector(double[] values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static double[] Doubles(JsonNode node) => [.. node.AsArray().Select(v => (double)v!)];
}
