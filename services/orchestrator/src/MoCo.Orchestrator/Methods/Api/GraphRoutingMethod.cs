using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Graph;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_graph_routing (methods-api.md §5): DevProfile; the model descriptions, dev inputs, test inputs and the task
/// description embedded (inference Embed; a decoder standing in for the encoder marks the run substituted); the
/// GraphRouter network trained in C# on the dev graph (<see cref="GraphRouterTraining"/>; weights are the checkpoint
/// of `dev · train router`); each test query routed to the model with the highest edge score against the dev graph
/// with all train + val edges visible; route-then-answer. The fitted router is stored for the router service.
/// </summary>
public sealed class GraphRoutingMethod : ICollaborationMethod
{
    /// <summary>Phase of the embedding calls.</summary>
    public const string EmbedPhase = "dev · embed";

    /// <summary>Phase of the network's training; its checkpoint holds the weights.</summary>
    public const string TrainPhase = "dev · train router";

    /// <inheritdoc/>
    public string Id => "api_graph_routing";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var models = config.ModelNames;
        var embeddings = context.Embeddings ?? throw new InvalidOperationException(
            "api_graph_routing embeds queries and model descriptions with inference Embed, and this run's services cannot embed: run it against an inference service");
        var devRun = await DevProfiles.ProfileAsync(context, cancellationToken).ConfigureAwait(false);
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        var embedder = hyper.String("embedding_model_name")!;
        await context.Recorder.BeginPhaseAsync(EmbedPhase, "calls", 4, cancellationToken).ConfigureAwait(false);
        var site = context.Site(EmbedPhase, "embedder");
        var parts = await Task.WhenAll(
            embeddings.EmbedAsync(site, "descriptions", embedder, hyper.Strings("model_descriptions")!, cancellationToken),
            embeddings.EmbedAsync(site, "dev", embedder, [.. devRun.Dev.Items.Select(i => i.Prompt)], cancellationToken),
            embeddings.EmbedAsync(site, "test", embedder, [.. test.Items.Select(i => i.Prompt)], cancellationToken),
            embeddings.EmbedAsync(site, "task", embedder, [hyper.String("task_description")!], cancellationToken)).ConfigureAwait(false);
        context.Recorder.Progress(EmbedPhase, 4, embedder);
        await context.Recorder.EndPhaseAsync(EmbedPhase, null, cancellationToken).ConfigureAwait(false);
        var substituted = parts.Any(p => p.Substituted);
        if (substituted)
        {
            context.Recorder.Warn($"{embedder} is not a sentence encoder libmoco runs: a decoder with the same pooling stands in, so the graph features differ from the reference's");
        }
        var graph = new GraphEmbeddings(parts[3].Vectors[0], parts[1].Vectors, parts[0].Vectors);

        var options = new GraphTrainingOptions((int)hyper.Int("hidden_features"), hyper.Number("learning_rate"), hyper.Number("weight_decay"),
            (int)hyper.Int("train_epochs"), (int)hyper.Int("batch_size"), hyper.Number("train_mask_rate"), hyper.Numbers("split_ratio")!);
        GraphRouterWeights weights;
        IReadOnlyList<GraphEdge> known;
        JsonObject fitted;
        if (await context.Recorder.BeginPhaseAsync(TrainPhase, "steps", options.Epochs, cancellationToken).ConfigureAwait(false) is JsonObject stored)
        {
            fitted = stored;
            weights = GraphRouterWeights.FromJson(stored["weights"]!.AsObject());
            known = GraphRouterTraining.Edges(devRun.Profile, 0, (int)stored["train_queries"]! + (int)stored["val_queries"]!);
        }
        else
        {
            var fit = GraphRouterTraining.Fit(graph, devRun.Profile, options, context.Seed);
            (weights, known) = (fit.Weights, fit.KnownEdges);
            fitted = new JsonObject
            {
                ["weights"] = fit.Weights.ToJson(),
                ["best_f1"] = fit.BestF1,
                ["train_queries"] = fit.TrainQueries,
                ["val_queries"] = fit.ValQueries,
                ["validated_on_train"] = fit.ValidatedOnTrain,
            };
            context.Recorder.Progress(TrainPhase, options.Epochs);
            await context.Recorder.EndPhaseAsync(TrainPhase, fitted, cancellationToken).ConfigureAwait(false);
        }
        var network = new GraphRouterModel(weights, graph, known);
        // The router service embeds a prompt as this run embedded its test items and scores it on the same dev graph.
        var payload = network.ToJson();
        payload["kind"] = "graph";
        payload["embedding_model"] = embedder;
        payload["known_queries"] = known.Count == 0 ? 0 : known.Max(e => e.Query) + 1;
        var router = ApiRouters.Save(context, payload);

        IReadOnlyList<IReadOnlyList<double>> scores = [.. parts[2].Vectors.Select(network.Scores)];
        IReadOnlyList<int> routes = [.. scores.Select(GraphRouterModel.Route)];
        var outputs = await RouteThenAnswer.AnswerAsync(context, test, routes, cancellationToken).ConfigureAwait(false);
        var scored = await ApiAnswers.ScoreAsync(context, test, outputs, k => new JsonObject { ["selected_model"] = models[routes[k]] },
            k => new JsonObject { ["edge_scores"] = new JsonArray([.. scores[k].Select(s => (JsonNode?)JsonValue.Create(s))]) }, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        var details = new JsonObject
        {
            ["dev_scores"] = new JsonArray([.. Enumerable.Range(0, models.Count).Select(m => (JsonNode?)JsonValue.Create(devRun.Profile.Mean(m)))]),
            ["best_val_f1"] = fitted["best_f1"]!.DeepClone(),
            ["validated_on_train"] = fitted["validated_on_train"]!.DeepClone(),
            ["embedder_substituted"] = substituted,
            ["router_id"] = router.RouterId,
            ["routing_histogram"] = new JsonArray([.. RouteThenAnswer.Histogram(models.Count, routes).Select(c => (JsonNode?)JsonValue.Create(c))]),
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }
}
