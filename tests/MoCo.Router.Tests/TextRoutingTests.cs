using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Router.Tests;

/// <summary>Route and Complete of a stored text router (methods-api.md §0.4) over scripted models: the router's text is
/// parsed, the fallback applies, each answer comes from the routed model, and unparseable text with a random fallback
/// picks the same model for the same seed.</summary>
public sealed class TextRoutingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-textrouting-" + Guid.NewGuid().ToString("N")[..8]);

    private sealed class ScriptedModels(Func<string, string, string> respond) : IRouterModels
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public ConcurrentQueue<(string Model, string Prompt, ulong Seed)> Calls { get; } = new();

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Calls.Enqueue((model, prompt, seed));
            return Task.FromResult(new RouterGeneration(respond(model, prompt), new Usage { PromptTokens = 3, CompletionTokens = 2 }));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new NotSupportedException("text routers never embed");
    }

    private static RouterContext Context(string method, ulong seed = 11)
    {
        var context = new RouterContext { Method = method, Seed = seed, RunId = "r1", Phase = "test" };
        context.ModelNames.AddRange(["m-a", "m-b", "m-c"]);
        context.Hyperparameters = new Struct { Fields = { ["max_response_length"] = Value.ForNumber(8) } };
        return context;
    }

    private static RouteInput[] Inputs(params string[] prompts) => [.. prompts.Select((p, i) => new RouteInput { Index = 10 + i, Prompt = p })];

    [Fact]
    public async Task Complete_answers_each_prompt_with_the_parsed_model_and_falls_back_to_the_stored_one()
    {
        var store = new RouterStore(_directory);
        var router = store.Save("api_prompt_routing", ["m-a", "m-b", "m-c"], "", "k1",
            new JsonObject { ["kind"] = "text", ["router_model"] = "m-b", ["prompt"] = "prompt_routing", ["descriptions"] = new JsonArray("x", "y", "z"), ["fallback"] = 1 });
        var models = new ScriptedModels((model, prompt) => model == "m-b" && prompt.Contains("routes user questions", StringComparison.Ordinal)
            ? (prompt.Contains("Q-three", StringComparison.Ordinal) ? "Model 3" : prompt.Contains("Q-one", StringComparison.Ordinal) ? "1" : "no idea")
            : $"{model} answers");
        var routing = new TextRouting(models);
        var items = new List<CompletedItem>();
        await foreach (var item in routing.CompleteAsync(Context("api_prompt_routing"), router, Inputs("Q-three", "Q-one", "Q-none"), default))
        {
            items.Add(item);
        }
        var byIndex = items.OrderBy(i => i.Index).ToList();
        Assert.Equal(["m-c answers", "m-a answers", "m-b answers"], byIndex.Select(i => i.Output));
        Assert.Equal([2, 0, 1], byIndex.Select(i => i.ModelsUsed.Single()));
        Assert.Equal("m-c", byIndex[0].Extras.Fields["routed_model"].StringValue);
        Assert.Equal(6, byIndex[0].Usage.PromptTokens);
        Assert.Equal(3, models.Calls.Count(c => c.Model == "m-b" && c.Prompt.Contains("- 3: z", StringComparison.Ordinal)));

        var decisions = await routing.RouteAsync(Context("api_prompt_routing"), router, Inputs("Q-three"), default);
        Assert.Equal([0.0, 0.0, 1.0], decisions[0].Decision.Scores);
        Assert.Equal("Model 3", decisions[0].Decision.Reason);
    }

    [Fact]
    public async Task An_unparseable_trained_router_output_draws_the_same_model_for_the_same_seed()
    {
        var router = RandomFallbackRouter("k2");
        var routing = new TextRouting(new ScriptedModels((_, _) => "Model ?"));
        var prompts = Enumerable.Range(0, 24).Select(i => $"question {i}").ToArray();
        async Task<List<int>> Route(ulong seed) =>
            [.. (await routing.RouteAsync(Context("api_trained_router", seed), router, Inputs(prompts), default)).Select(d => d.Decision.ModelIndex)];
        var first = await Route(5);
        Assert.Equal(first, await Route(5));
        Assert.Equal([0, 1, 2], first.Distinct().Order());
    }

    [Fact]
    public async Task An_unparseable_router_output_draws_the_model_the_run_draws_for_the_item()
    {
        var router = RandomFallbackRouter("k3");
        var routing = new TextRouting(new ScriptedModels((_, _) => "Model ?"));
        // Test items (no item key: a run's test split) and, every third, a dev item the caller keys itself.
        var inputs = Inputs([.. Enumerable.Range(0, 24).Select(i => $"question {i}")]);
        foreach (var input in inputs.Where(i => i.Index % 3 == 0))
        {
            input.ItemKey = $"dev/{input.Index}";
        }
        var decisions = await routing.RouteAsync(Context("api_trained_router", 5), router, inputs, default);
        // The run (TrainedRouterMethod) draws test item k's fallback as CounterRng.Below(N, seed, "route-fallback", "test/k", −1, 0).
        var run = inputs.Select(i => CounterRng.Below(3, 5, "route-fallback", i.ItemKey.Length > 0 ? i.ItemKey : $"test/{i.Index}", -1, 0)).ToList();
        Assert.Equal([0, 1, 2], run.Distinct().Order());
        Assert.Equal(run, decisions.Select(d => d.Decision.ModelIndex));
    }

    // A stored api_trained_router with the random fallback (−1), as a run stores it.
    private StoredRouter RandomFallbackRouter(string key) => new RouterStore(_directory).Save("api_trained_router", ["m-a", "m-b", "m-c"], "", key,
        new JsonObject { ["kind"] = "text", ["router_model"] = "router-lora", ["prompt"] = "trained_router", ["descriptions"] = null, ["fallback"] = -1 });

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
