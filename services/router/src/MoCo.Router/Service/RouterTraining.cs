using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Graph;
using MoCo.Router.Routing;
using MoCo.Router.Store;
using MoCo.Router.Switching;
using MoCo.Router.Training;

namespace MoCo.Router.Service;

/// <summary>
/// TrainRouter's fits from an inline dev set (methods-api.md §0.11 "TrainRouter fits (dev)"), each giving the payload
/// the method's Route or Complete serves — the same payload `moco run` stores, so a router fitted here and one fitted
/// in a run are served alike: api_prompt_routing (the best dev model routes), api_graph_routing (the GraphRouter
/// network on the dev profile, with the inputs, descriptions and task description embedded), api_cascade (each
/// level's threshold, the `percentage` quantile of its ScoredGen confidences on the dev prompts; just_ask fits
/// nothing), and the two that train a model on the inference service (<see cref="IRouterTrainer"/>): api_trained_router
/// (the router LoRA on reward-broken dev labels) and api_switch_generation (the selector LoRA on rewarded rollouts).
/// </summary>
public sealed class RouterTraining(IRouterModels models, IRouterTrainer? trainer = null, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);
    private readonly IRouterModels _models = models;

    /// <summary>api_prompt_routing: the model best on dev routes with the descriptions and falls back to itself.</summary>
    public static JsonObject PromptRouting(RouterContext context, DevProfile profile)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(profile);
        var descriptions = Descriptions(context, "api_prompt_routing");
        var best = profile.Best();
        return RouterPayloads.Text(context.ModelNames[best], "prompt_routing", descriptions, best);
    }

    /// <summary>api_graph_routing: embeds the descriptions, dev prompts and task description (one Embed call each), fits
    /// the network on <paramref name="profile"/> with the run seed, and returns the servable router.</summary>
    public async Task<JsonObject> GraphRoutingAsync(RouterContext context, IReadOnlyList<DevInput> inputs, DevProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        var descriptions = Descriptions(context, "api_graph_routing");
        var (embedder, task, options) = RouterSettings.GraphTraining(context);
        var method = context.Method;
        var parts = await Task.WhenAll(
            _calls.EmbedAsync(method, embedder, descriptions, $"{context.RunId}/fit/descriptions", cancellationToken),
            _calls.EmbedAsync(method, embedder, [.. inputs.Select(i => i.Prompt)], $"{context.RunId}/fit/dev", cancellationToken),
            _calls.EmbedAsync(method, embedder, [task], $"{context.RunId}/fit/task", cancellationToken)).ConfigureAwait(false);
        GraphRouterFit fit;
        try
        {
            fit = GraphRouterTraining.Fit(new GraphEmbeddings(parts[2][0], parts[1], parts[0]), profile, options, context.Seed);
        }
        catch (ArgumentException e)
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs", "INVALID_VALUE", e.Message,
                new Dictionary<string, string> { ["fix"] = "send dev inputs with their prompts and per-model scores" }));
        }
        return new GraphRouterModel(fit.Weights, fit.Graph, fit.KnownEdges).ToPayload(embedder);
    }

    /// <summary>api_cascade: per level below the last, ScoredGen of every dev prompt with that level's model (compat
    /// reference: model_names[0], the reference's quirk), each seeded as a run seeds its dev item's call, and the
    /// `percentage` quantile of the confidences.</summary>
    public async Task<JsonObject> CascadeAsync(RouterContext context, IReadOnlyList<DevInput> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        var (logit, percentage) = RouterSettings.Cascade(context);
        var reference = context.Compat == Compat.Reference;
        double[] thresholds = [];
        if (logit)
        {
            if (inputs.Count == 0)
            {
                throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs", "REQUIRED", "logit mode calibrates each level's threshold on dev prompts, and none was sent",
                    new Dictionary<string, string> { ["fix"] = "send the dev prompts, or use mode \"just_ask\"" }));
            }
            var settings = RouterSettings.Sampling(context) with { ConfidenceTopK = CascadeRule.TopK };
            var seeds = new ServedSeeds(_models, context);
            thresholds = await Task.WhenAll(Enumerable.Range(0, context.ModelNames.Count - 1).Select(async level =>
            {
                var index = reference ? 0 : level;
                var model = context.ModelNames[index];
                var results = await Task.WhenAll(inputs.Select(async input =>
                {
                    var item = RouterItems.Of(RouterItems.DevSplit, input.Index);
                    var seed = await seeds.OfAsync(ApiCallSites.CalibratePhase, ApiCallSites.ModelRole(index), model, item, 0, cancellationToken).ConfigureAwait(false);
                    return await _calls.GenerateAsync(context.Method, model, "calibrate", input.Prompt, settings, seed, $"{context.RunId}/calibrate/{level}/{item}",
                        cancellationToken).ConfigureAwait(false);
                })).ConfigureAwait(false);
                return Quantile.Linear([.. results.Select(r => r.Confidence ?? 0)], percentage);
            })).ConfigureAwait(false);
        }
        return CascadeRule.Payload(logit, thresholds, reference);
    }

    /// <summary>
    /// api_trained_router (§4): each dev input's label is its best-scoring model, the reward model breaking ties from the
    /// tied models' outputs (asked only where two or more tie; equal rewards: lowest index); ChooserSFT of
    /// router_base_model on the routing prompts answered `Model k`; the router reads the same prompt and falls back to a
    /// seeded draw. The trained model's id covers <paramref name="routerId"/>, the base model's fingerprint, the job and
    /// the examples, so a refit the inference service still serves is not trained again. Returns the payload and the
    /// trained model's id (the router's artifact); <paramref name="progress"/> sees each optimizer step.
    /// </summary>
    public async Task<(JsonObject Payload, string Artifact)> TrainedRouterAsync(RouterContext context, IReadOnlyList<DevInput> inputs, DevProfile profile,
        string routerId, Func<Progress, Task> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(progress);
        var scorer = Trainer("api_trained_router");
        if (inputs.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs", "REQUIRED", "api_trained_router trains its router on dev items, and none was sent",
                new Dictionary<string, string> { ["fix"] = "send the dev prompts with one score per model" }));
        }
        var (routerBase, rewardModel) = RouterSettings.TrainedRouter(context);
        var descriptions = RouterSettings.Descriptions(context);
        var labels = await LabelAsync(context, inputs, profile, scorer, rewardModel, cancellationToken).ConfigureAwait(false);
        var models = context.ModelNames.Count;
        var examples = inputs.Select((input, j) => new TrainExample
        {
            Prompt = UserPrompts.Of(RouterPrompts.TrainedRouter(input.Prompt, models, descriptions)),
            Completion = new Continuation { Text = RouterPrompts.TrainedRouterCompletion(labels[j]) },
        }).ToList();
        var router = await ChooserSftAsync(scorer, routerBase, examples, routerId, ApiCallSites.TrainRouterPhase, progress, cancellationToken).ConfigureAwait(false);
        return (RouterPayloads.Text(router, "trained_router", descriptions, -1), router);
    }

    /// <summary>
    /// api_switch_generation (§3): a given selector_model_name is stored as the selector; otherwise the selector is trained
    /// as a run trains it (<see cref="SelectorTraining"/>) on the dev prompts: random-author prefixes and rollouts on the
    /// router's models (seeded as a run seeds them), the reward model on each rollout, then ChooserSFT of
    /// selector_base_model on the labelled selector prompts. <paramref name="progress"/> sees each iteration and each
    /// optimizer step. Returns the payload and the trained selector's id (null for a given selector).
    /// </summary>
    public async Task<(JsonObject Payload, string? Artifact)> SelectorAsync(RouterContext context, IReadOnlyList<DevInput> inputs, string routerId,
        Func<Progress, Task> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(progress);
        var (shape, settings, given, selectorBase, rewardModel) = RouterSettings.SwitchTraining(context);
        if (given is not null)
        {
            return (RouterPayloads.Selector(given), null);
        }
        if (SelectorTraining.Problem(inputs.Count, settings) is { } problem)
        {
            throw MocoErrors.InvalidArgument(new Problem(problem.Key == "batch_size" && settings.BatchSize >= 1 ? "dev_set.inputs" : "context.hyperparameters." + problem.Key,
                "INVALID_VALUE", $"{problem.Key} {problem.Message}",
                new Dictionary<string, string> { ["fix"] = "send more dev prompts or change the named hyperparameter, or give selector_model_name" }));
        }
        var scorer = Trainer("api_switch_generation");
        var models = context.ModelNames.Count;
        var switcher = new SwitchGeneration(models, context.Seed, shape.PatchSize, shape.Objective, shape.Wait);
        var generation = new ServedSwitchModels(_calls, context, new ServedSeeds(_models, context), ApiCallSites.RolloutPhase);
        var rows = await SelectorTraining.RowsAsync(switcher, generation, [.. inputs.Select(i => i.Prompt)], models, context.Seed, settings,
            async (rollouts, ct) => await Task.WhenAll(rollouts.Select(r =>
                scorer.RewardAsync(rewardModel, r.Prompt, r.Output, $"{context.RunId}/reward/{r.ItemKey}", ct))).ConfigureAwait(false),
            done => progress(new Progress { Phase = ApiCallSites.RolloutPhase, Done = done, Total = settings.Iterations }), cancellationToken).ConfigureAwait(false);
        var examples = rows.Select(r => new TrainExample
        {
            Prompt = UserPrompts.Of(r.Prompt),
            Completion = new Continuation { Text = r.Label.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }).ToList();
        var selector = await ChooserSftAsync(scorer, selectorBase, examples, routerId, ApiCallSites.TrainSelectorPhase, progress, cancellationToken).ConfigureAwait(false);
        return (RouterPayloads.Selector(selector), selector);
    }

    // ChooserSFT (§0.8) of baseModel on examples (RouterJobs: a refit the inference service still serves is not trained again).
    private async Task<string> ChooserSftAsync(IRouterTrainer runner, string baseModel, IReadOnlyList<TrainExample> examples, string routerId, string phase,
        Func<Progress, Task> progress, CancellationToken cancellationToken)
    {
        var job = LoraJobs.Create(TrainKind.Sft, TrainingSettings.ChooserSft);
        job.BaseModel = baseModel;
        var fingerprint = await _models.FingerprintAsync(baseModel, cancellationToken).ConfigureAwait(false);
        return await RouterJobs.TrainAsync(runner, job, examples, routerId, [fingerprint], phase, progress, cancellationToken).ConfigureAwait(false);
    }

    private IRouterTrainer Trainer(string what) => trainer
        ?? throw new InvalidOperationException($"fitting {what} trains a model, and this RouterTraining was built without a trainer");

    // §4 step 2 with the rewards of the tied models' outputs, all asked at once.
    private static async Task<IReadOnlyList<int>> LabelAsync(RouterContext context, IReadOnlyList<DevInput> inputs, DevProfile profile, IRouterTrainer scorer,
        string rewardModel, CancellationToken cancellationToken)
    {
        var tied = Enumerable.Range(0, inputs.Count).SelectMany(j => profile.Winners(j) is { Count: > 1 } w ? w.Select(m => (Item: j, Model: m)) : []).ToList();
        var incomplete = tied.Select(t => t.Item).FirstOrDefault(j => inputs[j].Outputs.Count != context.ModelNames.Count, -1);
        if (incomplete >= 0)
        {
            var input = inputs[incomplete];
            throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs.outputs", "REQUIRED",
                $"dev input {input.Index}: models [{string.Join(", ", profile.Winners(incomplete))}] tie at its best score, and the reward model breaks the tie on their outputs ({input.Outputs.Count} sent for {context.ModelNames.Count} models)",
                new Dictionary<string, string> { ["fix"] = "send one output per model, in model_names order, for the dev inputs where models tie" }));
        }
        var rewards = await Task.WhenAll(tied.Select(t =>
        {
            var item = RouterItems.Of(RouterItems.DevSplit, inputs[t.Item].Index);
            return scorer.RewardAsync(rewardModel, inputs[t.Item].Prompt, inputs[t.Item].Outputs[t.Model], $"{context.RunId}/reward/{item}/{t.Model}", cancellationToken);
        })).ConfigureAwait(false);
        var byItem = tied.Zip(rewards).ToDictionary(p => p.First, p => p.Second);
        return [.. Enumerable.Range(0, inputs.Count).Select(j => profile.Label(j, m => byItem[(j, m)]))];
    }

    private static List<string> Descriptions(RouterContext context, string method) => RouterSettings.Descriptions(context)
        ?? throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.model_descriptions", "REQUIRED",
            $"{method} needs one description per model ({context.ModelNames.Count})",
            new Dictionary<string, string> { ["fix"] = "add model_descriptions, a list of strings in model_names order" }));
}
