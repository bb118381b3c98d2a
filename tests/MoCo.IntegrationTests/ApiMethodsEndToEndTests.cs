using System.Text.Json.Nodes;
using MoCo.Cli;
using MoCo.Contracts.V1;
using MoCo.Router.Service;
using MoCo.Router.Store;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>
/// The seven api_* methods through `moco run` in embedded mode (methods-api.md): the real inference service on the
/// bundled zoo (models/), the real evaluator on the zoo_world suite (data/), three items per split, eight-token
/// answers, no baselines. Each run writes the reference log of its method (methods-api.md "Logs": name, top-level keys,
/// entry keys), items.jsonl with the method's extras, and — for the routing methods — a router in the router store that
/// the router service can serve by id. The methods whose served items are compared with the run's sample (temperature
/// 0.7), so the service must seed each call as the run did; the others decode greedily.
/// </summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class ApiMethodsEndToEndTests : IDisposable
{
    private const int Items = 3;
    private static readonly string RepoRoot = MoCo.Testing.Checkout.Root;
    private static readonly string[] Common = ["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"];
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-api-e2e-").FullName;

    // The methods whose Complete the router service serves here, compared item by item with the run: they sample.
    private static readonly HashSet<string> Sampled = ["api_prompt_routing", "api_cascade", "api_switch_generation"];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Method, models, method keys, log suffix, extra top-level key (null = none) and its position, entry keys.</summary>
    public static TheoryData<string, string[], string, string, string?, int, string[]> Methods => new()
    {
        { "api_nudging", ["zoo/base", "zoo/north"], "\"gamma\": 0.4, \"do_sample\": false", "nudging", null, 0, ["input", "output", "score"] },
        { "api_prompt_routing", ["zoo/north", "zoo/south"], "\"model_descriptions\": [\"knows Norland\", \"knows Sudmark\"]", "prompt_routing", null, 0,
            ["input", "routed_model", "output", "score"] },
        { "api_switch_generation", ["zoo/north", "zoo/south"], "\"patch_size\": 4, \"selector_model_name\": \"zoo/base\"", "switch_generation",
            "selector_model_name", 3, ["input", "query", "generated_segments", "segment_model_index", "generated_sequence", "output", "score"] },
        { "api_trained_router", ["zoo/north", "zoo/south"], "\"router_base_model\": \"zoo/base\", \"reward_model_name\": \"smoke-reward\"", "trained_router", null, 0,
            ["input", "selected_model", "output", "score"] },
        { "api_graph_routing", ["zoo/north", "zoo/south"],
            "\"model_descriptions\": [\"knows Norland\", \"knows Sudmark\"], \"embedding_model_name\": \"zoo/base\", \"hidden_features\": 4, \"train_epochs\": 5",
            "graph_routing", null, 0, ["input", "selected_model", "output", "score"] },
        { "api_cascade", ["zoo/north", "zoo/south"], "\"mode\": \"logit\", \"percentage\": 0.5", "api_cascade", "method", 2, ["input", "output", "score"] },
        { "api_mentor_collab", ["zoo/base", "zoo/north"], "\"decision_proportion\": 100, \"patch_size\": 4", "mentor_collab", null, 0, ["input", "output", "score"] },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task The_method_runs_end_to_end_and_writes_its_reference_log(string method, string[] models, string keys, string suffix, string? extraKey, int extraAt,
        string[] entryKeys)
    {
        var config = Path.Combine(_dir, method + ".json");
        var (temperature, topP) = Sampling(method);
        File.WriteAllText(config, $$"""
            {"method": "{{method}}", "task": "zoo_world", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": [{{string.Join(", ", models.Select(m => $"\"{m}\""))}}],
             "hyperparameters": {"max_response_length": 8, "temperature": {{temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "top_p": {{topP.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "batch_size": 4, {{keys}}}, "seed": 3}
            """);
        var logs = Path.Combine(_dir, "logs");
        var artifacts = Path.Combine(_dir, "artifacts");
        var saved = Environment.GetEnvironmentVariable("MOCO_ARTIFACTS_DIR");
        Environment.SetEnvironmentVariable("MOCO_ARTIFACTS_DIR", artifacts);
        int code;
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            // The smoke models folder only adds the reward model api_trained_router breaks dev ties with; zoo/* resolve from models/.
            code = await MocoCommandLine.InvokeAsync(["run", config, "-l", logs, "--limit", Items.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--data-dir", Path.Combine(RepoRoot, "data"), "--models-dir", Path.Combine(RepoRoot, "examples", "smoke", "models"), "--device", "cpu",
                "--store", Path.Combine(_dir, "runs.db"), "--no-baselines"], output, error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOCO_ARTIFACTS_DIR", saved);
        }
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");

        var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
        var file = Path.GetFileName(Directory.GetFiles(runDir, $"zoo_world_{models.Length}_*_{suffix}.json").Single());
        var log = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, file)))!.AsObject();
        List<string> top = [.. Common];
        if (extraKey is not null)
        {
            top.Insert(extraAt, extraKey);
        }
        Assert.Equal(top, log.Select(p => p.Key));
        Assert.Equal(method, (string)log["moco"]!["method"]!);
        Assert.Equal(models, log["model_names"]!.AsArray().Select(m => (string)m!));
        var entries = log["logs"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal(Items, entries.Count);
        Assert.All(entries, e => Assert.Equal(entryKeys.Order(), e.Select(p => p.Key).Order()));
        Assert.All(entries, e => Assert.Contains((double)e["score"]!, new[] { 0.0, 1.0 }));
        var average = entries.Average(e => (double)e["score"]!);
        Assert.Equal(average, (double)log["avg_test_score"]!, 9);
        Assert.Equal($"zoo_world_{models.Length}_{ScoreText(Math.Round(average, 4))}_{suffix}.json", file);

        var tested = File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(i => (string?)i["phase"] == "test").OrderBy(i => (int)i["index"]!).ToList();
        Assert.Equal(entries.Select(e => (string)e["output"]!), tested.Select(i => (string)i["output"]!));
        CheckExtras(method, models, log, entries, [.. tested.Select(i => i["extras"]!.AsObject())]);
        if (log["moco"]!["router_id"] is { } routerId)
        {
            // The router the run fitted is in the store the router service serves from (MOCO_ARTIFACTS_DIR/routers).
            var router = RouterStore.InArtifacts(artifacts).Find((string)routerId!);
            Assert.NotNull(router);
            Assert.Equal(method, router.Method);
            Assert.Equal(models, router.ModelNames);
            if (method == "api_prompt_routing")
            {
                await ServedTextRouterAnswersAsTheRun(router, models, tested);
            }
            if (method == "api_graph_routing")
            {
                await ServedGraphRouterRoutesAsTheRun(router, models, entries, [.. tested.Select(i => i["extras"]!.AsObject())]);
            }
            if (method == "api_cascade")
            {
                await ServedCascadeAnswersAsTheRun(router, models, entries, [.. tested.Select(i => i["extras"]!.AsObject())]);
            }
            if (method == "api_switch_generation")
            {
                await ServedSwitchAnswersAsTheRun(router, models, tested);
            }
        }
    }

    // The router service, embedding through a fresh inference service, routes the run's test prompts to the models the
    // run chose, with the very edge scores the run recorded.
    private static async Task ServedGraphRouterRoutesAsTheRun(StoredRouter router, string[] models, List<JsonObject> entries, List<JsonObject> extras)
    {
        await using var inference = await InferenceHost.StartAsync(Path.Combine(RepoRoot, "models"));
        var context = new RouterContext { Method = router.Method, Seed = 3, RunId = "served", Phase = "test" };
        context.ModelNames.AddRange(models);
        var decisions = await new GraphRouting(new GrpcRouterModels(inference.Client)).RouteAsync(context, router,
            [.. entries.Select((e, i) => new RouteInput { Index = i, Prompt = (string)e["input"]! })], default);
        Assert.Equal(entries.Select(e => (string)e["selected_model"]!), decisions.Select(d => models[d.Decision.ModelIndex]));
        Assert.Equal(extras.Select(x => x["edge_scores"]!.AsArray().Select(v => (double)v!).ToList()), decisions.Select(d => d.Decision.Scores.ToList()));
    }

    // The router service, sampling each routing and answer call with the run's seed, routes each test prompt to the run's
    // model and writes the run's answer.
    private static async Task ServedTextRouterAnswersAsTheRun(StoredRouter router, string[] models, List<JsonObject> tested)
    {
        await using var inference = await InferenceHost.StartAsync(Path.Combine(RepoRoot, "models"));
        var items = new List<CompletedItem>();
        await foreach (var item in new TextRouting(new GrpcRouterModels(inference.Client)).CompleteAsync(RunContext(router, models), router,
            [.. tested.Select(i => new RouteInput { Index = (int)i["index"]!, Prompt = (string)i["input"]! })], default))
        {
            items.Add(item);
        }
        items = [.. items.OrderBy(i => i.Index)];
        Assert.Equal(tested.Select(i => (string)i["output"]!), items.Select(i => i.Output));
        Assert.Equal(tested.Select(i => (string)i["extras"]!["routed_model"]!), items.Select(i => i.Extras.Fields["routed_model"].StringValue));
    }

    // The router service's level loop, with the run's stored thresholds and seeds, keeps each test prompt at the run's
    // level with the run's answer and confidence.
    private static async Task ServedCascadeAnswersAsTheRun(StoredRouter router, string[] models, List<JsonObject> entries, List<JsonObject> extras)
    {
        await using var inference = await InferenceHost.StartAsync(Path.Combine(RepoRoot, "models"));
        var context = RunContext(router, models);
        var items = new List<CompletedItem>();
        await foreach (var item in new CascadeCompletion(new GrpcRouterModels(inference.Client)).CompleteAsync(context, router,
            [.. entries.Select((e, i) => new RouteInput { Index = i, Prompt = (string)e["input"]! })], default))
        {
            items.Add(item);
        }
        items = [.. items.OrderBy(i => i.Index)];
        Assert.Equal(entries.Select(e => (string)e["output"]!), items.Select(i => i.Output));
        Assert.Equal(extras.Select(x => (int)x["level"]!), items.Select(i => (int)i.Extras.Fields["level"].NumberValue));
        Assert.Equal(extras.Select(x => (double?)x["confidence"]), items.Select(i => i.Extras.Fields.TryGetValue("confidence", out var c) ? c.NumberValue : (double?)null));
    }

    // The router service's patch loop, with the selector the run stored and the run's seeds, writes each test item's
    // patches as the run did: the same output and authors.
    private static async Task ServedSwitchAnswersAsTheRun(StoredRouter router, string[] models, List<JsonObject> tested)
    {
        await using var inference = await InferenceHost.StartAsync(Path.Combine(RepoRoot, "models"));
        var context = RunContext(router, models);
        context.Hyperparameters.Fields["patch_size"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(4);
        var items = new List<CompletedItem>();
        await foreach (var item in new SwitchCompletion(new GrpcRouterModels(inference.Client)).CompleteAsync(context, router,
            [.. tested.Select(i => new RouteInput { Index = (int)i["index"]!, Prompt = (string)i["input"]! })], default))
        {
            items.Add(item);
        }
        items = [.. items.OrderBy(i => i.Index)];
        Assert.Equal(tested.Select(i => (string)i["output"]!), items.Select(i => i.Output));
        Assert.Equal(tested.Select(i => i["extras"]!["segment_model_index"]!.AsArray().Select(a => (int)a!).ToList()),
            items.Select(i => i.Extras.Fields["segment_model_index"].ListValue.Values.Select(v => (int)v.NumberValue).ToList()));
    }

    // The run's temperature and top_p.
    private static (double Temperature, double TopP) Sampling(string method) => Sampled.Contains(method) ? (0.7, 0.9) : (0, 1.0);

    // A served request's context with the run's seed and sampling: eight tokens.
    private static RouterContext RunContext(StoredRouter router, string[] models)
    {
        var (temperature, topP) = Sampling(router.Method);
        var context = new RouterContext { Method = router.Method, Seed = 3, RunId = "served", Phase = "test" };
        context.ModelNames.AddRange(models);
        context.Hyperparameters = new Google.Protobuf.WellKnownTypes.Struct
        {
            Fields =
            {
                ["max_response_length"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(8),
                ["temperature"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(temperature),
                ["top_p"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(topP),
            },
        };
        return context;
    }

    // What each method adds per item: the model it chose, the level that accepted, the authors of the text.
    private static void CheckExtras(string method, string[] models, JsonObject log, List<JsonObject> entries, List<JsonObject> extras)
    {
        switch (method)
        {
            case "api_prompt_routing":
            case "api_trained_router":
            case "api_graph_routing":
                var key = method == "api_prompt_routing" ? "routed_model" : "selected_model";
                Assert.All(entries.Zip(extras), p => Assert.Equal((string)p.First[key]!, (string)p.Second[key]!));
                Assert.All(entries, e => Assert.Contains((string)e[key]!, models));
                var histogram = log["moco"]!["routing_histogram"]?.AsArray().Select(c => (int)c!).ToList();
                if (histogram is not null)
                {
                    Assert.Equal(models.Select(m => entries.Count(e => (string)e[key]! == m)), histogram);
                }
                break;
            case "api_cascade":
                // Every item is accepted by exactly one level; the final level accepts whatever reaches it.
                Assert.All(extras, x => Assert.InRange((int)x["level"]!, 0, models.Length - 1));
                Assert.Equal(models.Select((_, l) => extras.Count(x => (int)x["level"]! == l)), log["moco"]!["accepted_per_level"]!.AsArray().Select(c => (int)c!));
                break;
            case "api_switch_generation":
                Assert.All(entries, e => Assert.All(e["segment_model_index"]!.AsArray(), a => Assert.InRange((int)a!, 0, models.Length - 1)));
                Assert.All(entries, e => Assert.Equal(e["generated_segments"]!.AsArray().Count, e["segment_model_index"]!.AsArray().Count));
                break;
            case "api_nudging":
                Assert.All(extras, x => Assert.InRange((int)x["nudged_pieces"]!, 0, (int)x["pieces"]!));
                // The first piece is always the nudger's (methods-api.md §1).
                Assert.All(extras.Where(x => (int)x["pieces"]! > 0), x => Assert.True((int)x["nudged_pieces"]! >= 1));
                break;
            case "api_mentor_collab":
                Assert.All(extras, x => Assert.InRange((int)x["mentor_patches"]!, 0, (int)x["divergences"]!));
                Assert.All(extras, x => Assert.InRange((int)x["divergences"]!, 0, (int)x["consultations"]!));
                break;
        }
    }

    // Python's repr of round(avg, 4): "0.0", "0.3333", "1.0".
    private static string ScoreText(double score)
    {
        var text = score.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }
}
