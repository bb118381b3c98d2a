using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_llm_blender (methods-text.md §3): every model answers each test item; a ranker LM judges every pair of every
/// item in one ranker call (`ranker_decision` generate: the first A/B of its reply; logprob: log P("A") against
/// log P("B") by Score); wins pick the top-k, best first, which a fuser LM merges into the output. Each model's own
/// answers are also its baseline. With `train_ranker_on_dev` / `train_fuser_on_dev` the ranker and fuser are first
/// LoRA-SFT'd on records built from every model's dev answers (<see cref="LlmBlenderTraining"/>), written as JSONL to
/// the run's artifact folder, and the trained models judge and fuse instead.
/// </summary>
public sealed class LlmBlenderMethod : ICollaborationMethod
{
    private const string GeneratePhase = "test · generate";
    private const string RankPhase = "test · rank";
    private const string FusePhase = "test · fuse";
    private const string ScorePhase = "test · score";
    private const string DevGeneratePhase = "dev · generate";
    private const string DevScorePhase = "dev · score";
    private const string RankerTrainPhase = "dev · train ranker";
    private const string FuserTrainPhase = "dev · train fuser";

    /// <inheritdoc/>
    public string Id => "text_llm_blender";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var models = config.ModelNames;
        var n = models.Count;
        var topK = (int)Math.Clamp(hyper.Int("top_k"), 1, n);
        var ranker = hyper.String("ranker_model_name")!;
        var fuser = hyper.String("fuser_model_name") ?? models[0];
        var details = new JsonObject
        {
            ["ranker"] = ranker,
            ["ranker_decision"] = hyper.String("ranker_decision"),
            ["fuser"] = fuser,
            ["top_k"] = topK,
        };
        if (hyper.Bool("train_ranker_on_dev") || hyper.Bool("train_fuser_on_dev"))
        {
            (ranker, fuser) = await TrainOnDevAsync(context, ranker, fuser, details, cancellationToken).ConfigureAwait(false);
        }
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        var outputs = await SoloAnswers.EveryModelAsync(context, GeneratePhase, test, null, cancellationToken).ConfigureAwait(false);
        var candidates = test.Items.Select((_, k) => models.Select((_, i) => outputs[i][k].Texts[0]).ToList()).ToList();

        var wins = await RankAsync(context, ranker, test, candidates, cancellationToken).ConfigureAwait(false);
        var top = wins.Select(w => LlmBlender.TopK(w, topK)).ToList();

        await context.Recorder.BeginPhaseAsync(FusePhase, "calls", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var fusionPrompts = test.Items.Select((item, k) => LlmBlender.FusionPrompt(item.Prompt, [.. top[k].Select(i => (models[i], candidates[k][i]))])).ToList();
        var fuserSettings = new GenerationSettings(MaxNewTokens: (int)hyper.Int("fuser_max_response_length"));
        var fused = await context.Generation.GenerateBatchAsync(fuser, [.. test.Items.Select((item, k) =>
            Request(context.Site(FusePhase, "fuser"), ChatPrompts.ItemKey(test, item), 0, fusionPrompts[k], fuserSettings))], cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(FusePhase, null, cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(ScorePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var scores = await context.Evaluation.ScoreAsync(test, [.. fused.Select(f => f.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var k = 0; k < test.Items.Count; k++)
        {
            var item = test.Items[k];
            var score = scores.Items[k].Score;
            var entry = new JsonObject
            {
                ["input"] = item.Prompt,
                ["candidate_answers"] = new JsonArray([.. candidates[k].Select(c => (JsonNode?)JsonValue.Create(c))]),
                ["ranker_scores"] = new JsonArray([.. wins[k].Select(w => (JsonNode?)JsonValue.Create(w))]),
                ["top_k_model_indices"] = new JsonArray([.. top[k].Select(i => (JsonNode?)JsonValue.Create(i))]),
                ["output"] = fused[k].Texts[0],
                ["score"] = score is { } s ? ReferenceSummary.Score(s) : null,
            };
            var extras = new JsonObject
            {
                ["candidate_answers"] = entry["candidate_answers"]!.DeepClone(),
                ["ranker_scores"] = entry["ranker_scores"]!.DeepClone(),
                ["top_k_model_indices"] = entry["top_k_model_indices"]!.DeepClone(),
                ["fusion_prompt"] = fusionPrompts[k],
            };
            if (fused[k].Error is { } error)
            {
                extras["error"] = error;
            }
            await context.Recorder.ItemFinishedAsync(new FinishedItem("test", test.Name, item.Index, item.Id, item.Prompt, fused[k].Texts[0], scores.Items[k].Parsed,
                score, extras, fuser), cancellationToken).ConfigureAwait(false);
            logs.Add(entry);
        }
        context.Recorder.Progress(ScorePhase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);

        var baselines = SoloAnswers.Baselines(context, await SoloAnswers.BaselinesAsync(context, test, outputs, cancellationToken).ConfigureAwait(false));
        var summary = ReferenceSummary.Named(config, Id);
        summary["avg_test_score"] = ReferenceSummary.Score(scores.Mean);
        summary["logs"] = logs;
        return new MethodOutcome(summary, scores.Mean, test.Items.Count, details) { Baselines = baselines };
    }

    // Wins per item: every pair of every item judged by the ranker in one call; n = 1 needs no judge (wins [0]).
    private static async Task<IReadOnlyList<double[]>> RankAsync(MethodContext context, string ranker, TaskSplit test, IReadOnlyList<List<string>> candidates,
        CancellationToken cancellationToken)
    {
        var hyper = context.Config.Hyperparameters;
        var n = context.Config.ModelNames.Count;
        var pairs = LlmBlender.Pairs(n);
        var logprob = hyper.String("ranker_decision") == "logprob";
        var judged = test.Items.SelectMany((item, k) => pairs.Select((pair, p) => (Key: ChatPrompts.ItemKey(test, item), Index: p,
            Prompt: LlmBlender.PairPrompt(item.Prompt, candidates[k][pair.I], candidates[k][pair.J])))).ToList();

        await context.Recorder.BeginPhaseAsync(RankPhase, "calls", logprob ? 2 * judged.Count : judged.Count, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<LlmBlender.Verdict> verdicts;
        int failed;
        if (logprob)
        {
            var site = context.Site(RankPhase, "ranker");
            // Two continuations per pair, A then B, in one Score batch; the larger log-prob of the first answer token wins.
            var scored = await context.Scoring.ScoreAsync(ranker, [.. judged.SelectMany(j => new[] { "A", "B" }
                .Select((letter, c) => new ScoreRequest(site, j.Key, 2 * j.Index + c, j.Prompt, letter)))], cancellationToken).ConfigureAwait(false);
            verdicts = [.. judged.Select((_, p) => Decide(FirstToken(scored[2 * p]), FirstToken(scored[2 * p + 1])))];
            failed = judged.Where((_, p) => scored[2 * p].Error is not null || scored[2 * p + 1].Error is not null).Count();
        }
        else
        {
            var settings = new GenerationSettings(MaxNewTokens: (int)hyper.Int("ranker_max_response_length"));
            var replies = await context.Generation.GenerateBatchAsync(ranker,
                [.. judged.Select(j => Request(context.Site(RankPhase, "ranker"), j.Key, j.Index, j.Prompt, settings))], cancellationToken).ConfigureAwait(false);
            verdicts = [.. replies.Select(r => LlmBlender.Parse(r.Texts[0]))];
            failed = replies.Count(r => r.Error is not null);
        }
        if (failed > 0)
        {
            context.Recorder.Warn($"{failed} of {judged.Count} ranker comparisons do not fit {ranker}'s context and count as no verdict (half a win each)");
        }
        await context.Recorder.EndPhaseAsync(RankPhase, null, cancellationToken).ConfigureAwait(false);
        return [.. test.Items.Select((_, k) => LlmBlender.Wins(n, [.. verdicts.Skip(k * pairs.Count).Take(pairs.Count)]))];
    }

    // Dev training (§3 "Training"): every model answers every dev item once, get_scores gives s[item][model]; the
    // flagged roles are SFT'd on their records and replace the configured models. A ranker without any pair of unequal
    // scores is not trained (fix: the reference crashes on the empty file).
    private static async Task<(string Ranker, string Fuser)> TrainOnDevAsync(MethodContext context, string ranker, string fuser, JsonObject details,
        CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var training = context.Training
            ?? throw new InvalidOperationException("train_ranker_on_dev / train_fuser_on_dev need the Train primitive, which this run's services do not offer");
        var models = config.ModelNames;
        var dev = await context.Data.DevAsync(1.0, includeGold: true, cancellationToken).ConfigureAwait(false);
        var outputs = await SoloAnswers.EveryModelAsync(context, DevGeneratePhase, dev, null, cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(DevScorePhase, "models", models.Count, cancellationToken).ConfigureAwait(false);
        var perModel = new List<SplitScore>();
        foreach (var output in outputs)
        {
            perModel.Add(await context.Evaluation.ScoreAsync(dev, [.. output.Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false));
            context.Recorder.Progress(DevScorePhase, perModel.Count);
        }
        await context.Recorder.EndPhaseAsync(DevScorePhase, null, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<IReadOnlyList<string>> candidates = [.. dev.Items.Select((_, k) => (IReadOnlyList<string>)[.. outputs.Select(o => o[k].Texts[0])])];
        IReadOnlyList<IReadOnlyList<double>> scores = [.. dev.Items.Select((_, k) => (IReadOnlyList<double>)[.. perModel.Select(s => s.Items[k].Score ?? 0.0)])];
        var suffix = $"{config.Task}_{models.Count}";

        if (hyper.Bool("train_ranker_on_dev"))
        {
            var records = LlmBlenderTraining.RankerRecords(dev, candidates, scores);
            LlmBlenderTraining.Write(Path.Combine(context.ArtifactDirectory, $"ranker_sft_{suffix}.jsonl"), records);
            if (records.Count == 0)
            {
                context.Recorder.Warn($"no dev pair has unequal scores: {ranker} is used untrained as the ranker");
            }
            else
            {
                ranker = await TrainAsync(context, training, RankerTrainPhase, "ranker", ranker, records, $"ranker_model_{suffix}", cancellationToken).ConfigureAwait(false);
                details["trained_ranker"] = ranker;
            }
        }
        if (hyper.Bool("train_fuser_on_dev"))
        {
            var records = LlmBlenderTraining.FuserRecords(config.TaskType, dev, models, candidates, scores, (int)hyper.Int("top_k"));
            LlmBlenderTraining.Write(Path.Combine(context.ArtifactDirectory, $"fuser_sft_{suffix}.jsonl"), records);
            fuser = await TrainAsync(context, training, FuserTrainPhase, "fuser", fuser, records, $"fuser_model_{suffix}", cancellationToken).ConfigureAwait(false);
            details["trained_fuser"] = fuser;
        }
        return (ranker, fuser);
    }

    private static async Task<string> TrainAsync(MethodContext context, ITrainingService training, string phase, string role, string model,
        IReadOnlyList<SftExample> records, string folder, CancellationToken cancellationToken)
    {
        var hyper = context.Config.Hyperparameters;
        var settings = new TrainingSettings((int)hyper.Int($"{role}_sft_batch_size"), (int)hyper.Int($"{role}_sft_gradient_accumulation_steps"),
            hyper.Number($"{role}_sft_learning_rate"), (int)hyper.Int($"{role}_sft_epoch"));
        await context.Recorder.BeginPhaseAsync(phase, "jobs", 1, cancellationToken).ConfigureAwait(false);
        var trained = await training.SftAsync(context.Site(phase, role), model, records, settings, cancellationToken).ConfigureAwait(false);
        await TrainedModelFolders.ExportAsync(context, trained.ModelId, folder, cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(phase, null, cancellationToken).ConfigureAwait(false);
        return trained.ModelId;
    }

    private static double FirstToken(ScoreResult result) => result.TokenLogprobs.Count > 0 ? result.TokenLogprobs[0] : double.NegativeInfinity;

    private static LlmBlender.Verdict Decide(double logA, double logB) =>
        logA > logB ? LlmBlender.Verdict.A : logB > logA ? LlmBlender.Verdict.B : LlmBlender.Verdict.None;

    // A built prompt as one user turn; text after a `<begin>` in it (an embedded task prompt's) is the prefill (§0.3).
    private static GenerationRequest Request(CallSite site, string itemKey, int index, string prompt, GenerationSettings settings)
    {
        var (user, prefill) = ChatPrompts.SplitPrefill(prompt);
        return new GenerationRequest(site, itemKey, index, user, prefill, 1, settings);
    }
}
