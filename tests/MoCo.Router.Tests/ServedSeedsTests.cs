using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Hosting.Randomness;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Router.Tests;

/// <summary>With sampling on, a served item equals the run's only if every served call samples with the seed the run
/// gave it (config-and-cli.md §5.2): {run seed, method, phase, role, model fingerprint, item, index}. Over a scripted
/// model whose text is a function of its seed, Complete of stored text, cascade and switch routers writes what a run
/// with the same seed writes for the item; the run's phases and roles are spelled out here as the orchestrator's
/// methods name them.</summary>
public sealed class ServedSeedsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-servedseeds-" + Guid.NewGuid().ToString("N")[..8]);

    // A sampled model: its text and confidence are functions of the seed only (the selector always names model 1, the
    // text router model 3), and its fingerprint is not its name, as the inference service's are not.
    private sealed class SampledModels : IRouterModels
    {
        public ConcurrentQueue<(string Model, ulong Seed)> Calls { get; } = new();

        public ConcurrentQueue<string> Fingerprints { get; } = new();

        public static string FingerprintOf(string model) => "f1e2" + model.Replace("-", "", StringComparison.Ordinal);

        public static string Sample(ulong seed) => (1000 + seed % 9000).ToString(CultureInfo.InvariantCulture);

        public static double Confidence(ulong seed) => seed % 1000 / 1000.0;

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken)
        {
            Fingerprints.Enqueue(model);
            return Task.FromResult(FingerprintOf(model));
        }

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Calls.Enqueue((model, seed));
            var text = model switch { "m-sel" => "1", "m-router" => "Model 3", _ => Sample(seed) };
            return Task.FromResult(new RouterGeneration(text, new Usage { CompletionTokens = 4 }, settings.ConfidenceTopK > 0 ? Confidence(seed) : null));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new NotSupportedException("these routers never embed");
    }

    // The seed a run with seed 9 gives its call (CachedGenerationService: CallKeys.Seed over the call's site).
    private static ulong RunSeed(string method, string phase, string role, string model, string item, int index) =>
        CallSeeds.Of(9, method, phase, role, SampledModels.FingerprintOf(model), item, index);

    private static RouterContext Context(string method, params string[] models)
    {
        var context = new RouterContext { Method = method, Seed = 9, RunId = "served", Phase = "test" };
        context.ModelNames.AddRange(models);
        context.Hyperparameters = new Struct
        {
            Fields = { ["max_response_length"] = Value.ForNumber(16), ["temperature"] = Value.ForNumber(0.7), ["patch_size"] = Value.ForNumber(4) },
        };
        return context;
    }

    // The run's item keys of Inputs().
    private static readonly string[] Keys = ["test/3", "test/7"];

    // A test item without an item key (a run's test/{index}) and one the caller keys itself.
    private static RouteInput[] Inputs() => [new() { Index = 3, Prompt = "Q3" }, new() { Index = 5, Prompt = "Q5", ItemKey = "test/7" }];

    private static async Task<List<CompletedItem>> Collect(IAsyncEnumerable<CompletedItem> items)
    {
        var list = new List<CompletedItem>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return [.. list.OrderBy(i => i.Index)];
    }

    [Fact]
    public async Task A_text_router_routes_and_answers_each_item_with_the_runs_seeds()
    {
        var router = new RouterStore(_directory).Save("api_prompt_routing", ["m-a", "m-b", "m-c"], "run", "k",
            new JsonObject { ["kind"] = "text", ["router_model"] = "m-router", ["prompt"] = "prompt_routing", ["descriptions"] = new JsonArray("x", "y", "z"), ["fallback"] = 0 });
        var models = new SampledModels();
        var items = await Collect(new TextRouting(models).CompleteAsync(Context("api_prompt_routing", "m-a", "m-b", "m-c"), router, Inputs(), default));

        // PromptRoutingMethod: phase "test · route", role "router"; RouteThenAnswer: "test · answer", role "model/{m}".
        Assert.Equal(Keys.Select(k => RunSeed("api_prompt_routing", "test · route", "router", "m-router", k, 0)).Order(),
            models.Calls.Where(c => c.Model == "m-router").Select(c => c.Seed).Order());
        Assert.Equal(Keys.Select(k => SampledModels.Sample(RunSeed("api_prompt_routing", "test · answer", "model/2", "m-c", k, 0))),
            items.Select(i => i.Output));
        // One fingerprint per model and request: the routing, then the answers.
        Assert.Equal(["m-c", "m-router"], models.Fingerprints.Order());
    }

    [Fact]
    public async Task A_cascade_answers_each_level_with_the_runs_seeds()
    {
        var router = new RouterStore(_directory).Save("api_cascade", ["m-a", "m-b"], "run", "k", CascadeRule.Payload(true, [1.1], reference: false));
        var models = new SampledModels();
        var items = await Collect(new CascadeCompletion(models).CompleteAsync(Context("api_cascade", "m-a", "m-b"), router, Inputs(), default));

        // CascadeMethod: phase "test · level {l}", role "model/{l}"; level 0's threshold above 1 defers every item to level 1,
        // which reports the confidence level 0 measured.
        Assert.Equal(Keys.Select(k => RunSeed("api_cascade", "test · level 0", "model/0", "m-a", k, 0)).Order(),
            models.Calls.Where(c => c.Model == "m-a").Select(c => c.Seed).Order());
        Assert.Equal(Keys.Select(k => SampledModels.Sample(RunSeed("api_cascade", "test · level 1", "model/1", "m-b", k, 0))),
            items.Select(i => i.Output));
        Assert.Equal(Keys.Select(k => SampledModels.Confidence(RunSeed("api_cascade", "test · level 0", "model/0", "m-a", k, 0))),
            items.Select(i => i.Extras.Fields["confidence"].NumberValue));
    }

    [Fact]
    public async Task TrainRouter_calibrates_a_cascade_on_the_confidences_of_the_runs_dev_seeds()
    {
        var context = Context("api_cascade", "m-a", "m-b");
        context.Hyperparameters.Fields["percentage"] = Value.ForNumber(0.5);
        var payload = await new RouterTraining(new SampledModels()).CascadeAsync(context,
            [new DevInput { Index = 2, Prompt = "D2" }, new DevInput { Index = 6, Prompt = "D6" }], default);

        // CascadeMethod's calibration: phase "dev · calibrate", role "model/{l}", item dev/{index}.
        double[] confidences = [.. new[] { "dev/2", "dev/6" }.Select(k => SampledModels.Confidence(RunSeed("api_cascade", "dev · calibrate", "model/0", "m-a", k, 0)))];
        Assert.Equal(Quantile.Linear(confidences, 0.5), (double)payload["thresholds"]![0]!);
    }

    [Fact]
    public async Task A_switch_selector_and_its_patches_draw_with_the_runs_seeds()
    {
        var router = new RouterStore(_directory).Save("api_switch_generation", ["m-a", "m-b"], "run", "k", new JsonObject { ["selector_model"] = "m-sel" });
        var models = new SampledModels();
        var items = await Collect(new SwitchCompletion(models).CompleteAsync(Context("api_switch_generation", "m-a", "m-b"), router, Inputs(), default));

        // SwitchGenerationMethod: phase "test · switch", role "model/{m}" for patches and "selector", index = the round;
        // 16 / 4 = 4 rounds, each patch by model 1.
        var rounds = Enumerable.Range(0, 4).ToList();
        Assert.Equal(Keys.Select(k => string.Join(' ', rounds.Select(r => SampledModels.Sample(RunSeed("api_switch_generation", "test · switch", "model/1", "m-b", k, r))))),
            items.Select(i => i.Output));
        Assert.Equal(Keys.SelectMany(k => rounds.Select(r => RunSeed("api_switch_generation", "test · switch", "selector", "m-sel", k, r))).Order(),
            models.Calls.Where(c => c.Model == "m-sel").Select(c => c.Seed).Order());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
