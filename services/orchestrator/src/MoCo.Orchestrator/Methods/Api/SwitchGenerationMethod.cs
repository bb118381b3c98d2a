using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Router.Routing;
using MoCo.Router.Switching;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_switch_generation (methods-api.md §3): R = ⌊max_response_length / patch_size⌋ rounds of SwitchGen with the
/// selector choosing each patch's author. Without `selector_model_name` a selector is trained first: I = ⌊
/// training_instance_num / batch_size⌋ iterations, each sampling batch_size distinct dev prompts, a random prefix of
/// c ∈ [1, R−3] rounds, rollout_per_instance random rollouts continuing each prefix (absolute rounds, no answer cue),
/// rewards from the reward model on [user: prompt, assistant: rollout output]; the label is the model whose first new
/// patch earned the highest mean reward (−1000 where none), and ChooserSFT teaches `selector_base_model` to answer it.
/// The selector (given or trained) is stored in the router store, so the router service's Complete runs the same patch
/// loop with it.
/// </summary>
public sealed class SwitchGenerationMethod : ICollaborationMethod
{
    /// <summary>Phase of the training rollouts.</summary>
    public const string RolloutPhase = "dev · rollouts";

    /// <summary>Phase of the rollout rewards.</summary>
    public const string RewardPhase = "dev · reward";

    /// <summary>Phase of the selector's SFT job.</summary>
    public const string TrainPhase = "dev · train selector";

    /// <summary>Phase of the test generation.</summary>
    public const string TestPhase = ApiCallSites.SwitchPhase;

    /// <inheritdoc/>
    public string Id => "api_switch_generation";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var patchSize = (int)hyper.Int("patch_size");
        var rounds = (int)(hyper.Int(GeneralKeys.MaxResponseLength) / patchSize);
        var switcher = new SwitchGeneration(config.ModelNames.Count, context.Seed, patchSize, hyper.Bool("objective_flag"), hyper.Bool("wait_flag"));
        var given = hyper.String("selector_model_name");
        var selector = given ?? await TrainSelectorAsync(context, switcher, rounds, cancellationToken).ConfigureAwait(false);
        var stored = ApiRouters.Save(context, ApiRouters.Selector(selector), given is null ? selector : null);

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        var states = test.Items.Select(item => new SwitchState(ChatPrompts.ItemKey(test, item), item.Prompt)).ToList();
        await context.Recorder.BeginPhaseAsync(TestPhase, "rounds", rounds, cancellationToken).ConfigureAwait(false);
        await switcher.RoundsAsync(new RunSwitchModels(context, TestPhase), states, 0, rounds, rounds, selector, SwitchGeneration.TestPurpose, objectiveOn: true,
            cancellationToken).ConfigureAwait(false);
        context.Recorder.Progress(TestPhase, rounds);
        await context.Recorder.EndPhaseAsync(TestPhase, null, cancellationToken).ConfigureAwait(false);

        var outputs = states.Select(s => new GenerationResult([s.Output], ["stop"], new CallUsage(0, 0, TimeSpan.Zero))).ToList();
        var scored = await ApiAnswers.ScoreAsync(context, test, outputs, _ => [], k => new JsonObject
        {
            ["segment_model_index"] = new JsonArray([.. states[k].Authors.Select(a => (JsonNode?)JsonValue.Create(a))]),
        }, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var k = 0; k < states.Count; k++)
        {
            var s = states[k];
            logs.Add(new JsonObject
            {
                ["query"] = s.Query,
                ["generated_segments"] = new JsonArray([.. s.Segments.Select(x => (JsonNode?)JsonValue.Create(x))]),
                ["segment_model_index"] = new JsonArray([.. s.Authors.Select(a => (JsonNode?)JsonValue.Create(a))]),
                ["generated_sequence"] = s.Sequence,
                ["input"] = test.Items[k].Prompt,
                ["output"] = s.Output,
                ["score"] = scored.Logs[k]!["score"]?.DeepClone(),
            });
        }
        var summary = ReferenceSummary.Head(config);
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["selector_model_name"] = selector;
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = logs;
        var authored = states.SelectMany(s => s.Authors).ToList();
        var details = new JsonObject
        {
            ["rounds"] = rounds,
            ["router_id"] = stored.RouterId,
            ["patches_per_model"] = new JsonArray([.. Enumerable.Range(0, config.ModelNames.Count).Select(m => (JsonNode?)JsonValue.Create(authored.Count(a => a == m)))]),
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    private static async Task<string> TrainSelectorAsync(MethodContext context, SwitchGeneration switcher, int rounds, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var models = config.ModelNames.Count;
        var batch = (int)hyper.Int(GeneralKeys.BatchSize);
        var iterations = (int)(hyper.Int("training_instance_num") / batch);
        var rollouts = (int)hyper.Int("rollout_per_instance");
        var training = context.Training ?? throw new InvalidOperationException(
            "api_switch_generation trains its selector with inference Train, and this run's services cannot train: give selector_model_name, or run against an inference service that serves Train");
        var pool = (await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false)).Items.Select(i => i.Prompt).ToList();
        if (pool.Count < batch)
        {
            throw new InvalidOperationException($"training a selector samples batch_size ({batch}) distinct dev prompts per iteration, and the dev split has {pool.Count}: "
                + "lower batch_size or give selector_model_name");
        }
        if (iterations == 0)
        {
            throw new InvalidOperationException($"training_instance_num ({hyper.Int("training_instance_num")}) is below batch_size ({batch}): no training iteration would run");
        }

        var rows = new List<SftExample>();
        var generation = new RunSwitchModels(context, RolloutPhase);
        await context.Recorder.BeginPhaseAsync(RolloutPhase, "iterations", iterations, cancellationToken).ConfigureAwait(false);
        for (var it = 0; it < iterations; it++)
        {
            var key = $"train/{it.ToString(CultureInfo.InvariantCulture)}";
            var order = Enumerable.Range(0, pool.Count).ToList();
            for (var i = order.Count - 1; i > 0; i--)
            {
                var j = CounterRng.Below(i + 1, context.Seed, "switch-sample", key, -1, i);
                (order[i], order[j]) = (order[j], order[i]);
            }
            var prompts = order.Take(batch).Select(i => pool[i]).ToList();
            var prefixRounds = 1 + CounterRng.Below(rounds - 3, context.Seed, "switch-context", key, -1, 0);
            var prefixes = prompts.Select((p, b) => new SwitchState($"{key}/{b.ToString(CultureInfo.InvariantCulture)}", p)).ToList();
            await switcher.RoundsAsync(generation, prefixes, 0, prefixRounds, prefixRounds, null, "switch-prefix", objectiveOn: false, cancellationToken)
                .ConfigureAwait(false);
            var forks = prefixes.SelectMany(p => Enumerable.Range(0, rollouts).Select(k => p.Fork($"{p.ItemKey}/{k.ToString(CultureInfo.InvariantCulture)}"))).ToList();
            await switcher.RoundsAsync(generation, forks, prefixRounds, rounds, rounds, null, "switch-rollout", objectiveOn: false, cancellationToken)
                .ConfigureAwait(false);
            var site = context.Site(RewardPhase, "reward");
            var rewards = await context.Scoring.ScoreAsync(hyper.String("reward_model_name")!,
                [.. forks.Select((f, n) => new ScoreRequest(site, f.ItemKey, 0, prompts[n / rollouts], f.Output, Reward: true))], cancellationToken).ConfigureAwait(false);
            for (var b = 0; b < prefixes.Count; b++)
            {
                var utility = Enumerable.Range(0, models).Select(m =>
                {
                    var mine = Enumerable.Range(b * rollouts, rollouts).Where(n => forks[n].Authors.Count > prefixRounds && forks[n].Authors[prefixRounds] == m).ToList();
                    return mine.Count == 0 ? -1000.0 : mine.Average(n => rewards[n].Value);
                }).ToList();
                var label = utility.IndexOf(utility.Max());
                rows.Add(new SftExample(SwitchGeneration.SelectorPrompt(prefixes[b], models), label.ToString(CultureInfo.InvariantCulture)));
            }
            context.Recorder.Progress(RolloutPhase, it + 1);
        }
        await context.Recorder.EndPhaseAsync(RolloutPhase, null, cancellationToken).ConfigureAwait(false);
        LlmBlenderTraining.Write(Path.Combine(context.ArtifactDirectory, $"selector_model_sft_data_{config.Task}_{models}.jsonl"), rows);

        await context.Recorder.BeginPhaseAsync(TrainPhase, "jobs", 1, cancellationToken).ConfigureAwait(false);
        var trained = await training.SftAsync(context.Site(TrainPhase, "selector"), hyper.String("selector_base_model")!, rows, TrainedRouterMethod.ChooserSft,
            cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(TrainPhase, null, cancellationToken).ConfigureAwait(false);
        return trained.ModelId;
    }
}
