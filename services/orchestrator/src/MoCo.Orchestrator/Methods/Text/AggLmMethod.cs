using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_agglm (methods-text.md §6): every model samples s answers per dev item (one Generate per model with n = s), each
/// candidate is scored; per item and sample group the majority answer decides hard (its first holder did not score
/// exactly 1) or easy; all hard groups and as many easy ones (seeded draw) become aggregator prompts on which the
/// aggregator is GRPO-trained through Train (POLICY_GRADIENT), its rollouts rewarded by Evaluate on their dev item. At
/// test time each model answers once and the trained aggregator answers the aggregator prompt over the n answers.
/// MoCo.NET (fix): the reference caches by model names only and silently reuses another task's generations and adapter;
/// here generations replay by call key and the trained aggregator is reused only for the identical job; `reuse_log`
/// false trains afresh (the run id joins the job's key) and deletes nothing. The candidates and the test answers use the
/// config's temperature or 0.7 when absent; `temperature`'s own default 1.0 is the rollouts' (§6). Resume: the
/// candidates replay from the store; a GRPO job cancelled midway starts again from its first step (same key, examples and
/// seed, so the same model: Train has no way to continue a job from a checkpoint), a finished one is reused, also by a
/// new process of the inference service (its model is kept under the job's call key).
/// </summary>
public sealed class AggLmMethod : ICollaborationMethod
{
    private const string DefaultAggregator = "Qwen/Qwen2.5-1.5B-Instruct";
    private const string CandidatesPhase = "dev · candidates";
    private const string CandidateScorePhase = "dev · score candidates";
    private const string TrainPhase = "dev · grpo";
    private const string TestPhase = "test · generate";
    private const string AggregatePhase = "test · aggregate";

    /// <inheritdoc/>
    public string Id => "text_agglm";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var names = config.ModelNames;
        var aggregator = hyper.String("agg_model") ?? DefaultAggregator;
        var generation = new GenerationSettings(Temperature: config.Hyperparameters.Written.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number
            ? t.GetDouble()
            : 0.7);
        var details = new JsonObject { ["aggregator"] = aggregator };

        var trained = await TrainAggregatorAsync(context, aggregator, generation, details, cancellationToken).ConfigureAwait(false);

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        var answers = await TeamGeneration.PhaseAsync(context, TestPhase, [.. names.Select((_, i) => (IReadOnlyList<GenerationRequest>)
            [.. test.Items.Select(item => ChatPrompts.ForItem(context.Site(TestPhase, $"model/{i}"), test, item, generation))])], cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(AggregatePhase, "calls", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var aggregated = await context.Generation.GenerateBatchAsync(trained, [.. test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(AggregatePhase, "aggregator"),
            ChatPrompts.ItemKey(test, item), 0, AggLm.Prompt(item.Prompt, answers.Select(a => a[k].Texts[0])), generation))], cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(AggregatePhase, null, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, aggregated, cancellationToken).ConfigureAwait(false);
        details["trained_aggregator"] = trained;
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    // Steps 1–5: candidates, hard/easy groups, the dev cache side file, GRPO. Returns the aggregator to answer the test
    // with: the trained one, or the base when no group is hard (nothing to train on; the reference's trainer fails).
    private static async Task<string> TrainAggregatorAsync(MethodContext context, string aggregator, GenerationSettings generation, JsonObject details,
        CancellationToken cancellationToken)
    {
        var hyper = context.Config.Hyperparameters;
        var names = context.Config.ModelNames;
        var m = names.Count;
        var s = (int)hyper.Int("sample_size");
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);

        var sampled = await TeamGeneration.PhaseAsync(context, CandidatesPhase, [.. names.Select((_, j) => (IReadOnlyList<GenerationRequest>)[.. dev.Items.Select(item =>
            ChatPrompts.ForItem(context.Site(CandidatesPhase, $"model/{j}"), dev, item, generation) with { Samples = s })])], cancellationToken).ConfigureAwait(false);
        // generation[k][i·m + j] = sample i of model j on item k.
        var candidates = dev.Items.Select((_, k) => Enumerable.Range(0, s * m).Select(x => sampled[x % m][k].Texts[x / m]).ToList()).ToList();
        WriteCache(context, names, s, dev, candidates);

        await context.Recorder.BeginPhaseAsync(CandidateScorePhase, "candidates", s * m, cancellationToken).ConfigureAwait(false);
        var parsed = dev.Items.Select(_ => new string?[s * m]).ToList();
        var scores = dev.Items.Select(_ => new double[s * m]).ToList();
        for (var x = 0; x < s * m; x++)
        {
            var split = await context.Evaluation.ScoreAsync(dev, [.. candidates.Select(c => c[x])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < dev.Items.Count; k++)
            {
                (parsed[k][x], scores[k][x]) = (split.Items[k].Parsed, split.Items[k].Score ?? 0.0);
            }
            context.Recorder.Progress(CandidateScorePhase, x + 1);
        }
        await context.Recorder.EndPhaseAsync(CandidateScorePhase, null, cancellationToken).ConfigureAwait(false);

        var hard = new List<(int Item, string Prompt)>();
        var easy = new List<(int Item, string Prompt)>();
        for (var k = 0; k < dev.Items.Count; k++)
        {
            for (var i = 0; i < s; i++)
            {
                var group = (Item: k, Prompt: AggLm.Prompt(dev.Items[k].Prompt, candidates[k].Skip(i * m).Take(m)));
                (AggLm.IsHard(parsed[k][(i * m)..(i * m + m)], scores[k][(i * m)..(i * m + m)]) ? hard : easy).Add(group);
            }
        }
        var rng = SeededRng.For(42, "text_agglm", "easy groups");
        var kept = easy.ToArray();
        var keep = Math.Min(easy.Count, hard.Count);
        for (var d = 0; d < keep; d++)
        {
            var pick = d + rng.Next(kept.Length - d);
            (kept[d], kept[pick]) = (kept[pick], kept[d]);
        }
        var training = hard.Concat(kept.Take(keep)).ToList();
        details["hard"] = hard.Count;
        details["easy"] = easy.Count;
        details["easy_kept"] = keep;
        if (training.Count == 0)
        {
            context.Recorder.Warn($"no hard candidate group on dev: {aggregator} aggregates the test answers untrained");
            return aggregator;
        }

        var trainer = context.Training ?? throw new InvalidOperationException("text_agglm trains its aggregator with GRPO (Train), which this run's services do not offer");
        var settings = new PolicyGradientSettings(hyper.Number("learning_rate"), hyper.Number("weight_decay"), hyper.String("lr_scheduler")!, (int)hyper.Int("max_epochs"),
            (int)hyper.Int("train_batch_size"), hyper.Number("temperature"), (int)hyper.Int("max_response_length"));
        var rewards = new List<double>();
        async Task<IReadOnlyList<double>> RewardAsync(IReadOnlyList<PolicyRollout> rollouts, CancellationToken token)
        {
            var result = new List<double>();
            foreach (var rollout in rollouts)
            {
                var item = dev.Items[training[rollout.Example].Item];
                var split = await context.Evaluation.ScoreAsync(dev with { Items = [item] }, [rollout.Text], OutputKind.Raw, token).ConfigureAwait(false);
                result.Add(split.Items[0].Score ?? 0.0);
            }
            lock (rewards)
            {
                rewards.AddRange(result);
            }
            return result;
        }
        var role = hyper.Bool("reuse_log") ? "aggregator" : $"aggregator/{context.RunId}";
        await context.Recorder.BeginPhaseAsync(TrainPhase, "jobs", 1, cancellationToken).ConfigureAwait(false);
        var model = await trainer.PolicyGradientAsync(context.Site(TrainPhase, role), aggregator, [.. training.Select(g => g.Prompt)], settings, RewardAsync, cancellationToken)
            .ConfigureAwait(false);
        await TrainedModelFolders.ExportAsync(context, model.ModelId,
            $"{SideFolders.Relative("agglm_log_path", hyper.String("agglm_log_path"))}/{AggLm.Stem(names, s)}", cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(TrainPhase, null, cancellationToken).ConfigureAwait(false);
        details["training_prompts"] = training.Count;
        details["mean_reward"] = rewards.Count > 0 ? rewards.Average() : null;
        details["reused"] = model.Reused;
        return model.ModelId;
    }

    // The dev cache side file `{agglm_log_path}/{stem}.json`: per dev item {id, input, generation} (json.dump indent 4).
    private static void WriteCache(MethodContext context, IReadOnlyList<string> names, int s, TaskSplit dev, IReadOnlyList<List<string>> candidates)
    {
        var folder = Path.Combine(context.ArtifactDirectory, SideFolders.Relative("agglm_log_path", context.Config.Hyperparameters.String("agglm_log_path")));
        Directory.CreateDirectory(folder);
        var cache = new JsonArray([.. dev.Items.Select((item, k) => (JsonNode)new JsonObject
        {
            ["id"] = int.TryParse(item.Id, out var number) ? JsonValue.Create(number) : JsonValue.Create(item.Id),
            ["input"] = item.Prompt,
            ["generation"] = new JsonArray([.. candidates[k].Select(c => (JsonNode?)JsonValue.Create(c))]),
        })]);
        File.WriteAllText(Path.Combine(folder, AggLm.Stem(names, s) + ".json"), PyJsonWriter.Serialize(cache));
    }
}
