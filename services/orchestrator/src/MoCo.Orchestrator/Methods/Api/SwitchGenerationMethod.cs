using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Router.Routing;
using MoCo.Router.Store;
using MoCo.Router.Switching;
using MoCo.Router.Training;

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
    public const string RolloutPhase = ApiCallSites.RolloutPhase;

    /// <summary>Phase of the rollout rewards.</summary>
    public const string RewardPhase = ApiCallSites.RewardPhase;

    /// <summary>Phase of the selector's SFT job.</summary>
    public const string TrainPhase = ApiCallSites.TrainSelectorPhase;

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
        var stored = ApiRouters.Save(context, RouterPayloads.Selector(selector), given is null ? selector : null);

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
        var settings = new SelectorTrainingSettings(batch, iterations, rollouts, rounds);
        if (SelectorTraining.Problem(pool.Count, settings) is { } problem)
        {
            throw new InvalidOperationException($"{problem.Key} {problem.Message}: fix it or give selector_model_name");
        }

        await context.Recorder.BeginPhaseAsync(RolloutPhase, "iterations", iterations, cancellationToken).ConfigureAwait(false);
        var site = context.Site(RewardPhase, "reward");
        var selected = await SelectorTraining.RowsAsync(switcher, new RunSwitchModels(context, RolloutPhase), pool, models, context.Seed, settings,
            async (forks, ct) => [.. (await context.Scoring.ScoreAsync(hyper.String("reward_model_name")!,
                [.. forks.Select(f => new ScoreRequest(site, f.ItemKey, 0, f.Prompt, f.Output, Reward: true))], ct).ConfigureAwait(false)).Select(r => r.Value)],
            done =>
            {
                context.Recorder.Progress(RolloutPhase, done);
                return Task.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
        List<SftExample> rows = [.. selected.Select(r => new SftExample(r.Prompt, r.Label.ToString(CultureInfo.InvariantCulture)))];
        await context.Recorder.EndPhaseAsync(RolloutPhase, null, cancellationToken).ConfigureAwait(false);
        LlmBlenderTraining.Write(Path.Combine(context.ArtifactDirectory, $"selector_model_sft_data_{config.Task}_{models}.jsonl"), rows);

        await context.Recorder.BeginPhaseAsync(TrainPhase, "jobs", 1, cancellationToken).ConfigureAwait(false);
        var trained = await training.SftAsync(context.Site(TrainPhase, "selector"), hyper.String("selector_base_model")!, rows, TrainingSettings.ChooserSft,
            cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(TrainPhase, null, cancellationToken).ConfigureAwait(false);
        return trained.ModelId;
    }
}
