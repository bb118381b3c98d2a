using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>Sampled parity of the router service with runs (methods-api.md §0.11): every model's text is a function of
/// its call's seed, as a sampled generation is, so the router service completes a run's test items as the run did only
/// by seeding each served call as the run seeded it. A run of the method through the real engine stores its router; the
/// service's Complete answers the run's test prompts with it over the same scripted models.</summary>
public sealed class ServedSampledParityTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 4;

    // The run's test items (input, output, extras) in index order and the router it stored.
    private async Task<(List<JsonObject> Items, StoredRouter Router)> RunAsync(string method, string models, string extra, Func<string, string, ulong, string> respond)
    {
        var (engine, _) = await harness.EngineAsync(new LambdaBackend(call => (respond(call.Model, call.Prompt, call.Seed), 0)));
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config(method, models, extra), Limit) with
        {
            Overrides = new RunOverrides { Limit = Limit, NoBaselines = true },
        }, _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        var items = File.ReadAllLines(Path.Combine(harness.LogDirectory, "moco", result.RunId, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(i => (string?)i["phase"] == "test").OrderBy(i => (int)i["index"]!).ToList();
        Assert.Equal(Limit, items.Count);
        var router = RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)harness.ReadRunLog(result.RunId)["moco"]!["router_id"]!);
        Assert.NotNull(router);
        return (items, router);
    }

    // The served request: the run's method, models, seed (EngineHarness.Config's 7) and sampling.
    private static RouterContext Context(StoredRouter router)
    {
        var context = new RouterContext { Method = router.Method, Seed = 7, RunId = "served", Phase = "test" };
        context.ModelNames.AddRange(router.ModelNames);
        context.Hyperparameters = new Struct
        {
            Fields = { ["max_response_length"] = Value.ForNumber(16), ["temperature"] = Value.ForNumber(0.7), ["top_p"] = Value.ForNumber(0.9) },
        };
        return context;
    }

    private static async Task<List<CompletedItem>> ServeAsync(IAsyncEnumerable<CompletedItem> completed)
    {
        var items = new List<CompletedItem>();
        await foreach (var item in completed)
        {
            items.Add(item);
        }
        return [.. items.OrderBy(i => i.Index)];
    }

    private static RouteInput[] Inputs(List<JsonObject> items) => [.. items.Select(i => new RouteInput { Index = (int)i["index"]!, Prompt = (string)i["input"]! })];

    [Fact]
    public async Task A_served_prompt_router_routes_and_answers_sampled_items_as_the_run()
    {
        // The router's sampled choice and every sampled answer depend on the call's seed alone.
        static string Respond(string model, string user, ulong seed) => user.Contains("routes user questions", StringComparison.Ordinal)
            ? $"Model {1 + seed % 2}"
            : ScriptedRouterModels.Sample(seed);
        var (run, router) = await RunAsync("api_prompt_routing", "\"m-a\", \"m-b\"", """, "model_descriptions": ["one", "two"]""", Respond);

        var served = await ServeAsync(new TextRouting(new ScriptedRouterModels(Respond)).CompleteAsync(Context(router), router, Inputs(run), default));
        Assert.Equal(run.Select(i => (string)i["output"]!), served.Select(i => i.Output));
        Assert.Equal(run.Select(i => (string)i["extras"]!["routed_model"]!), served.Select(i => i.Extras.Fields["routed_model"].StringValue));
        Assert.Equal(Limit, run.Select(i => (string)i["output"]!).Distinct().Count());
    }

    [Fact]
    public async Task A_served_just_ask_cascade_keeps_sampled_items_at_the_runs_levels_with_the_runs_answers()
    {
        // Below the last level a sampled answer says it is unconfident for about half the seeds.
        static string Respond(string model, string user, ulong seed) =>
            ScriptedRouterModels.Sample(seed) + (user.Contains(RouterPrompts.Unconfident, StringComparison.Ordinal) && seed % 2 == 0 ? " unconfident" : "");
        var (run, router) = await RunAsync("api_cascade", "\"m-a\", \"m-b\", \"m-c\"", """, "mode": "just_ask" """, Respond);

        var served = await ServeAsync(new CascadeCompletion(new ScriptedRouterModels(Respond)).CompleteAsync(Context(router), router, Inputs(run), default));
        Assert.Equal(run.Select(i => (string)i["output"]!), served.Select(i => i.Output));
        Assert.Equal(run.Select(i => (int)i["extras"]!["level"]!), served.Select(i => (int)i.Extras.Fields["level"].NumberValue));
        Assert.True(run.Select(i => (int)i["extras"]!["level"]!).Distinct().Count() > 1);
    }
}
