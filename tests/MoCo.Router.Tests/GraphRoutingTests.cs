using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Router.Graph;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Router.Tests;

/// <summary>Route and Complete of a stored api_graph_routing router (methods-api.md §5 step 6, §0.11) over scripted
/// models: the prompts are embedded in one call with the router's embedding model, scored on the stored dev graph
/// exactly as the fitted network scores them, routed to the best edge and answered by that model; a router stored
/// without its graph, and embeddings of another width, are refused naming the fix.</summary>
public sealed class GraphRoutingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-graphrouting-" + Guid.NewGuid().ToString("N")[..8]);

    // "q{j}" embeds as the toy's dev query j, "wide" as a vector one value too long.
    private sealed class ToyModels(IReadOnlyList<double[]> queries) : IRouterModels
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public ConcurrentQueue<(string Model, int Texts)> Embeds { get; } = new();

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken) => Task.FromResult(new RouterGeneration($"{model} on {prompt}", new Usage { CompletionTokens = 4 }));

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken)
        {
            Embeds.Enqueue((model, texts.Count));
            return Task.FromResult<IReadOnlyList<double[]>>([.. texts.Select(t => t == "wide"
                ? new double[queries[0].Length + 1]
                : queries[int.Parse(t[1..], CultureInfo.InvariantCulture)])]);
        }
    }

    private static RouterContext Context()
    {
        var context = new RouterContext { Method = "api_graph_routing", Seed = 4, RunId = "r1", Phase = "test" };
        context.ModelNames.AddRange(["m-a", "m-b"]);
        context.Hyperparameters = new Struct { Fields = { ["max_response_length"] = Value.ForNumber(8) } };
        return context;
    }

    private static RouteInput[] Inputs(params int[] queries) => [.. queries.Select((q, i) => new RouteInput { Index = 20 + i, Prompt = $"q{q}" })];

    // A router fitted on the separable toy (GraphRouterTests), stored as a run stores it and read back from disk.
    private (StoredRouter Router, GraphRouterModel Fitted, GraphEmbeddings Graph) Stored()
    {
        var (graph, profile) = GraphRouterTests.Toy(20);
        var fit = GraphRouterTraining.Fit(graph, profile, GraphRouterTests.Options with { SplitRatio = [0.5, 0.5, 0], Epochs = 400, LearningRate = 0.02 }, seed: 3);
        var fitted = new GraphRouterModel(fit.Weights, fit.Graph, fit.KnownEdges);
        var saved = new RouterStore(_directory).Save("api_graph_routing", ["m-a", "m-b"], "r0", "fit", fitted.ToPayload("encoder"));
        return (new RouterStore(_directory).Find(saved.RouterId)!, fitted, graph);
    }

    [Fact]
    public async Task Route_scores_each_prompt_as_the_fitted_network_and_picks_the_best_edge()
    {
        var (router, fitted, graph) = Stored();
        var models = new ToyModels(graph.Queries);
        var routing = new GraphRouting(models);
        int[] queries = [0, 1, 2, 3, 7, 10];

        var decisions = await routing.RouteAsync(Context(), router, Inputs(queries), default);

        Assert.Equal([.. queries.Select(q => fitted.Scores(graph.Queries[q]))], decisions.Select(d => (IReadOnlyList<double>)[.. d.Decision.Scores]));
        // The toy is separable: even queries belong to model 0, odd ones to model 1.
        Assert.Equal(queries.Select(q => q % 2), decisions.Select(d => d.Decision.ModelIndex));
        Assert.Equal(Enumerable.Range(20, queries.Length), decisions.Select(d => d.Decision.Index));
        Assert.Equal([("encoder", queries.Length)], models.Embeds);
    }

    [Fact]
    public async Task Complete_answers_with_the_routed_model_and_reports_it_with_the_edge_scores()
    {
        var (router, _, graph) = Stored();
        var items = new List<CompletedItem>();
        await foreach (var item in new GraphRouting(new ToyModels(graph.Queries)).CompleteAsync(Context(), router, Inputs(4, 5), default))
        {
            items.Add(item);
        }

        var byIndex = items.OrderBy(i => i.Index).ToList();
        Assert.Equal(["m-a on q4", "m-b on q5"], byIndex.Select(i => i.Output));
        Assert.Equal([0, 1], byIndex.Select(i => i.ModelsUsed.Single()));
        Assert.Equal(["m-a", "m-b"], byIndex.Select(i => i.Extras.Fields["selected_model"].StringValue));
        Assert.All(byIndex, i => Assert.Equal(2, i.Extras.Fields["edge_scores"].ListValue.Values.Count));
        Assert.All(byIndex, i => Assert.Equal(4, i.Usage.CompletionTokens));
    }

    [Fact]
    public async Task A_router_stored_without_its_graph_or_fed_wider_embeddings_is_refused_naming_the_fix()
    {
        var (router, _, graph) = Stored();
        var routing = new GraphRouting(new ToyModels(graph.Queries));

        var wide = await Assert.ThrowsAsync<RpcException>(() => routing.RouteAsync(Context(), router,
            [new RouteInput { Index = 0, Prompt = "wide" }], default));
        Assert.Equal(StatusCode.FailedPrecondition, wide.StatusCode);
        Assert.Contains("embeds into 5 values and the router was fitted on 4", wide.Status.Detail, StringComparison.Ordinal);

        var old = new RouterStore(_directory).Save("api_graph_routing", ["m-a", "m-b"], "r0", "old",
            new JsonObject { ["kind"] = "graph", ["embedding_model"] = "encoder", ["weights"] = router.Payload["weights"]!.DeepClone(), ["known_queries"] = 20 });
        var stale = await Assert.ThrowsAsync<RpcException>(() => routing.RouteAsync(Context(), old, Inputs(0), default));
        Assert.Equal(StatusCode.FailedPrecondition, stale.StatusCode);
        Assert.Contains("run the method again", stale.Status.Detail, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
