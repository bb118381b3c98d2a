using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Graph;
using MoCo.Router.Routing;
using MoCo.Router.Service;

namespace MoCo.Router.Tests;

/// <summary>TrainRouter's fits from an inline dev set (methods-api.md §0.11) over scripted models: api_graph_routing
/// embeds the dev prompts, descriptions and task and fits exactly the network the library fits on those embeddings;
/// api_cascade calibrates each level's threshold as the quantile of its ScoredGen confidences on the dev prompts (compat
/// reference: model 0 at every level), and just_ask fits nothing.</summary>
public sealed class RouterTrainingTests
{
    // Embeds "q{j}" as the toy's dev query j, "desc{m}" as its model vector m and "toy task" as its task vector; a
    // generation's confidence is 0.1 × the prompt's number + 0.05 × the model's level.
    private sealed class ToyModels(GraphEmbeddings graph) : IRouterModels
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public ConcurrentQueue<(string Model, int Texts)> Embeds { get; } = new();

        public ConcurrentQueue<(string Model, string Prompt, int TopK)> Generations { get; } = new();

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Generations.Enqueue((model, prompt, settings.ConfidenceTopK));
            var confidence = 0.1 * int.Parse(prompt[1..], CultureInfo.InvariantCulture) + 0.05 * (model[^1] - 'a');
            return Task.FromResult(new RouterGeneration("answer", new Usage(), confidence));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken)
        {
            Embeds.Enqueue((model, texts.Count));
            return Task.FromResult<IReadOnlyList<double[]>>([.. texts.Select(t => t switch
            {
                "toy task" => graph.Task,
                _ when t.StartsWith("desc", StringComparison.Ordinal) => graph.Models[int.Parse(t[4..], CultureInfo.InvariantCulture)],
                _ => graph.Queries[int.Parse(t[1..], CultureInfo.InvariantCulture)],
            })]);
        }
    }

    private static RouterContext Context(string method, Compat compat = Compat.Moco, params (string Key, Value Value)[] hyperparameters)
    {
        var context = new RouterContext { Method = method, Seed = 3, RunId = "fit", Compat = compat, Task = "toy task" };
        string[] models = method == "api_graph_routing" ? ["m-a", "m-b"] : ["m-a", "m-b", "m-c"];
        context.ModelNames.AddRange(models);
        context.Hyperparameters = new Struct();
        foreach (var (key, value) in hyperparameters)
        {
            context.Hyperparameters.Fields[key] = value;
        }
        return context;
    }

    private static DevInput[] Dev(int n) => [.. Enumerable.Range(0, n).Select(j => new DevInput { Index = j, Prompt = $"q{j}" })];

    [Fact]
    public async Task A_graph_router_fitted_from_a_dev_set_is_the_network_the_library_fits_on_the_same_embeddings()
    {
        var (graph, profile) = GraphRouterTests.Toy(20);
        var options = GraphRouterTests.Options with { SplitRatio = [0.5, 0.5, 0], Epochs = 40, LearningRate = 0.02 };
        var models = new ToyModels(graph);
        var context = Context("api_graph_routing", Compat.Moco,
            ("model_descriptions", Value.ForList(Value.ForString("desc0"), Value.ForString("desc1"))),
            ("embedding_model_name", Value.ForString("encoder")),
            ("hidden_features", Value.ForNumber(options.Hidden)), ("learning_rate", Value.ForNumber(options.LearningRate)),
            ("weight_decay", Value.ForNumber(options.WeightDecay)), ("train_epochs", Value.ForNumber(options.Epochs)),
            ("batch_size", Value.ForNumber(options.Passes)), ("train_mask_rate", Value.ForNumber(options.MaskRate)),
            ("split_ratio", Value.ForList(Value.ForNumber(0.5), Value.ForNumber(0.5), Value.ForNumber(0))));

        var payload = await new RouterTraining(models).GraphRoutingAsync(context, Dev(20), profile, default);

        var fit = GraphRouterTraining.Fit(graph, profile, options, seed: 3);
        Assert.Equal(new GraphRouterModel(fit.Weights, fit.Graph, fit.KnownEdges).ToPayload("encoder").ToJsonString(), payload.ToJsonString());
        Assert.Equal([("encoder", 1), ("encoder", 2), ("encoder", 20)], models.Embeds.Order());
    }

    [Fact]
    public async Task Cascade_thresholds_are_each_levels_confidence_quantile_on_dev()
    {
        var models = new ToyModels(GraphRouterTests.Toy(2).Graph);
        var payload = await new RouterTraining(models).CascadeAsync(Context("api_cascade", Compat.Moco, ("percentage", Value.ForNumber(0.5))), Dev(4), default);

        // Level a: confidences 0, 0.1, 0.2, 0.3 → median 0.15; level b adds 0.05 to each. The last level needs none.
        Assert.Equal("logit", (string)payload["mode"]!);
        Assert.Equal([0.15, 0.2], payload["thresholds"]!.AsArray().Select(t => Math.Round((double)t!, 12)));
        Assert.Equal(8, models.Generations.Count);
        Assert.All(models.Generations, g => Assert.Equal(CascadeRule.TopK, g.TopK));
        Assert.DoesNotContain(models.Generations, g => g.Model == "m-c");

        var reference = new ToyModels(GraphRouterTests.Toy(2).Graph);
        var quirk = await new RouterTraining(reference).CascadeAsync(Context("api_cascade", Compat.Reference, ("percentage", Value.ForNumber(0.5))), Dev(4), default);
        Assert.All(reference.Generations, g => Assert.Equal("m-a", g.Model));
        Assert.Equal([0.15, 0.15], quirk["thresholds"]!.AsArray().Select(t => Math.Round((double)t!, 12)));
        Assert.True((bool)quirk["reference"]!);
    }

    [Fact]
    public async Task A_just_ask_cascade_fits_nothing_and_an_unknown_mode_names_the_choices()
    {
        var models = new ToyModels(GraphRouterTests.Toy(2).Graph);
        var payload = await new RouterTraining(models).CascadeAsync(Context("api_cascade", Compat.Moco, ("mode", Value.ForString("just_ask"))), [], default);
        Assert.Equal(("just_ask", 0), ((string)payload["mode"]!, payload["thresholds"]!.AsArray().Count));
        Assert.Empty(models.Generations);

        var bad = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
            new RouterTraining(models).CascadeAsync(Context("api_cascade", Compat.Moco, ("mode", Value.ForString("vote"))), Dev(2), default));
        Assert.Contains("use \"logit\" or \"just_ask\"", bad.Status.Detail, StringComparison.Ordinal);
    }
}
