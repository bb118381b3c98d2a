using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Router.Routing;
using MoCo.Router.Store;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_trained_router (methods-api.md §4): DevProfile; each dev item's label is its best-scoring model, a reward model
/// breaking ties (asked only where two or more models tie); ChooserSFT (§0.8: LoRA SFT via Train, 5 epochs, micro-batch
/// 1, accumulation 32, lr 1e-5) teaches `router_base_model` to answer `Model k`; at test the trained router reads the
/// same prompt, ParseChoice (1..N, fallback a counter-based uniform draw per item) picks the model; route-then-answer.
/// The trained router's model id is stored in the router store for the router service.
/// </summary>
public sealed class TrainedRouterMethod : ICollaborationMethod
{
    /// <summary>Phase of the reward calls on tied dev items.</summary>
    public const string RewardPhase = ApiCallSites.RewardPhase;

    /// <summary>Phase of the router's SFT job.</summary>
    public const string TrainPhase = ApiCallSites.TrainRouterPhase;

    /// <summary>Phase of the routing generations.</summary>
    public const string RoutePhase = ApiCallSites.RoutePhase;

    /// <inheritdoc/>
    public string Id => "api_trained_router";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var models = config.ModelNames;
        var descriptions = config.Hyperparameters.Strings("model_descriptions");
        var training = context.Training ?? throw new InvalidOperationException(
            "api_trained_router trains its router with inference Train, and this run's services cannot train: run it against an inference service that serves Train");
        var devRun = await DevProfiles.ProfileAsync(context, cancellationToken).ConfigureAwait(false);
        var labels = await LabelAsync(context, devRun, cancellationToken).ConfigureAwait(false);
        var examples = devRun.Dev.Items.Select((item, j) =>
            new SftExample(RouterPrompts.TrainedRouter(item.Prompt, models.Count, descriptions), RouterPrompts.TrainedRouterCompletion(labels[j]))).ToList();
        LlmBlenderTraining.Write(Path.Combine(context.ArtifactDirectory, $"router_model_sft_data_{config.Task}_{models.Count}.jsonl"), examples);
        if (examples.Count == 0)
        {
            throw new InvalidOperationException("api_trained_router trains its router on the dev split, and the dev split is empty: use a task with dev items");
        }
        await context.Recorder.BeginPhaseAsync(TrainPhase, "jobs", 1, cancellationToken).ConfigureAwait(false);
        var router = (await training.SftAsync(context.Site(TrainPhase, "router"), config.Hyperparameters.String("router_base_model")!, examples, TrainingSettings.ChooserSft,
            cancellationToken).ConfigureAwait(false)).ModelId;
        await context.Recorder.EndPhaseAsync(TrainPhase, null, cancellationToken).ConfigureAwait(false);
        var stored = ApiRouters.Save(context, RouterPayloads.Text(router, "trained_router", descriptions, -1), router);

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(RoutePhase, "calls", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var site = context.Site(RoutePhase, ApiCallSites.RouterRole);
        var routing = await context.Generation.GenerateBatchAsync(router,
            [.. test.Items.Select(item => ChatPrompts.ForPrompt(site, ChatPrompts.ItemKey(test, item), 0, RouterPrompts.TrainedRouter(item.Prompt, models.Count, descriptions)))],
            cancellationToken).ConfigureAwait(false);
        context.Recorder.Progress(RoutePhase, test.Items.Count, router);
        await context.Recorder.EndPhaseAsync(RoutePhase, null, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<int> routes = [.. routing.Select((r, k) =>
            ParseChoice.OrDraw(r.Texts[0].Trim(), 1, models.Count, context.Seed, ParseChoice.RouteFallback, ChatPrompts.ItemKey(test, test.Items[k]), 0) - 1)];

        var outputs = await RouteThenAnswer.AnswerAsync(context, test, routes, cancellationToken).ConfigureAwait(false);
        var scored = await ApiAnswers.ScoreAsync(context, test, outputs, k => new JsonObject { ["selected_model"] = models[routes[k]] },
            k => new JsonObject { ["router_output"] = routing[k].Texts[0] }, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        var details = new JsonObject
        {
            ["dev_scores"] = new JsonArray([.. Enumerable.Range(0, models.Count).Select(m => (JsonNode?)JsonValue.Create(devRun.Profile.Mean(m)))]),
            ["dev_labels"] = new JsonArray([.. Enumerable.Range(0, models.Count).Select(m => (JsonNode?)JsonValue.Create(labels.Count(l => l == m)))]),
            ["trained_router"] = router,
            ["router_id"] = stored.RouterId,
            ["routing_histogram"] = new JsonArray([.. RouteThenAnswer.Histogram(models.Count, routes).Select(c => (JsonNode?)JsonValue.Create(c))]),
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    // §4 step 2: rewards (§0.9, the reward model's logit on [user: input, assistant: output]) only for the models tied at
    // an item's maximum; the labels are the checkpoint of the reward phase.
    private static async Task<IReadOnlyList<int>> LabelAsync(MethodContext context, DevRun devRun, CancellationToken cancellationToken)
    {
        var (dev, outputs, profile) = devRun;
        var tied = Enumerable.Range(0, dev.Items.Count).SelectMany(j => profile.Winners(j) is { Count: > 1 } w ? w.Select(m => (Item: j, Model: m)) : []).ToList();
        if (await context.Recorder.BeginPhaseAsync(RewardPhase, "calls", tied.Count, cancellationToken).ConfigureAwait(false) is JsonArray stored)
        {
            return [.. stored.Select(l => (int)l!)];
        }
        var rewards = new Dictionary<(int Item, int Model), double>();
        if (tied.Count > 0)
        {
            var site = context.Site(RewardPhase, "reward");
            var results = await context.Scoring.ScoreAsync(context.Config.Hyperparameters.String("reward_model_name")!,
                [.. tied.Select(t => new ScoreRequest(site, ChatPrompts.ItemKey(dev, dev.Items[t.Item]), t.Model, dev.Items[t.Item].Prompt,
                    outputs[t.Model][t.Item].Texts[0], Reward: true))], cancellationToken).ConfigureAwait(false);
            for (var n = 0; n < tied.Count; n++)
            {
                rewards[tied[n]] = results[n].Value;
            }
        }
        IReadOnlyList<int> labels = [.. Enumerable.Range(0, dev.Items.Count).Select(j => profile.Label(j, m => rewards[(j, m)]))];
        context.Recorder.Progress(RewardPhase, tied.Count);
        await context.Recorder.EndPhaseAsync(RewardPhase, new JsonArray([.. labels.Select(l => (JsonNode?)JsonValue.Create(l))]), cancellationToken).ConfigureAwait(false);
        return labels;
    }
}
