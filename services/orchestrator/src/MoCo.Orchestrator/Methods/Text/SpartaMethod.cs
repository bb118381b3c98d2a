using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Weight;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_sparta (methods-text.md §12): per iteration, the models play pairwise matches on the first P dev instructions
/// (<see cref="SpartaMatches"/>), the models outside each pair judge both responses (<see cref="SpartaJudging"/>), the
/// verdicts weighted by the judges' ratings update an Elo-like rating with uncertainty (<see cref="SpartaRatings"/>) and
/// give preference pairs on which every model is DPO-trained; the best trained model on dev (BOD over every iteration's
/// DPO outputs — the reference means to, but falls back to the final models) answers the test set. Each iteration is one
/// competition batch per player and one judge batch per judge, all models concurrently, then N concurrent DPO jobs;
/// calls and trained models are keyed, so a resumed run replays them and rebuilds the same ratings and side files.
/// Ratings, opponents and judges go by name (the reference looks opponents up by trained path, and from its second
/// iteration matches uniformly); responses are kept per pair, not per instruction text. `debug` makes the rating
/// updates a phase with a progress event per pair and writes what the reference prints per update (K, Δ, each player's
/// change and deviation) as `iteration_{it}/rating_updates.json`, beside the per-judge `intermediate_results` chunks.
/// </summary>
public sealed class SpartaMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "text_sparta";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var names = config.ModelNames;
        var iterations = (int)hyper.Int("num_iterations");
        var first = (int)hyper.Int("current_iteration");
        var folder = Path.Combine(context.ArtifactDirectory, SideFolders.Relative("base_dir", hyper.String("base_dir")));
        var settings = new SpartaRatingSettings(hyper.Number("initial_k"), hyper.Number("min_k"), hyper.Number("decay_rate"), (int)hyper.Int("decay_steps"),
            (int)hyper.Int("window_size"), hyper.Number("min_deviation"), hyper.Number("epsilon"), hyper.Number("scaling_factor"));
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        var instructions = dev.Items.Take((int)Math.Min(hyper.Int("num_instructions"), dev.Items.Count)).ToList();
        if (instructions.Count == 0 && iterations > 0)
        {
            context.Recorder.Warn("no dev instructions to compete on: no iteration runs, the best base model on dev answers the test");
        }

        var current = names.ToArray();
        var candidates = new List<(int Iteration, int Model, string Id)>();
        IReadOnlyDictionary<string, SpartaRating>? carried = null;
        IReadOnlyDictionary<string, IReadOnlyList<double>>? history = null;
        for (var it = first; instructions.Count > 0 && it < first + iterations; it++)
        {
            var ratings = new SpartaRatings(names, carried, history, settings);
            var trained = await IterationAsync(context, it, dev, instructions, current, ratings, folder, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < trained.Count; i++)
            {
                current[i] = trained[i];
                candidates.Add((it, i, trained[i]));
            }
            carried = ratings.Ratings;
            history = ratings.History;
        }

        var details = new JsonObject { ["side_files"] = context.ArtifactName(SideFolders.Relative("base_dir", hyper.String("base_dir"))) };
        var devScores = new JsonObject();
        string bestName, bestId;
        int bestIteration;
        if (candidates.Count == 0)
        {
            var selection = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
            foreach (var (index, score) in selection.Scores.OrderBy(p => p.Key))
            {
                devScores[names[index]] = score;
            }
            (bestName, bestId, bestIteration) = (names[selection.Best], current[selection.Best], first + iterations - 1);
        }
        else
        {
            var scores = new List<double>();
            foreach (var (iteration, model, id) in candidates)
            {
                var label = $"{names[model]}_iter{iteration}";
                scores.Add(await BestOnDev.ScoreModelAsync(context, id, label, cancellationToken).ConfigureAwait(false));
                devScores[label] = scores[^1];
            }
            var best = scores.IndexOf(scores.Max());
            (bestName, bestId, bestIteration) = (names[candidates[best].Model], candidates[best].Id, candidates[best].Iteration);
            details["trained_models"] = new JsonArray([.. candidates.Select(c => (JsonNode)new JsonObject
            {
                ["iteration"] = c.Iteration,
                ["model"] = names[c.Model],
                ["model_id"] = c.Id,
            })]);
        }

        var (test, scored) = await FinalModel.AnswerTestAsync(context, bestId, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Head(config);
        summary["method"] = Id;
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["best_model"] = bestName;
        summary["best_model_iteration"] = bestIteration;
        summary["best_model_path"] = bestId;
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["dev_scores"] = devScores;
        summary["logs"] = scored.Logs;
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    // Steps 2–8 of one iteration; returns the trained model ids in model order, empty when there was no preference pair.
    private static async Task<IReadOnlyList<string>> IterationAsync(MethodContext context, int it, TaskSplit dev, IReadOnlyList<TaskItem> instructions,
        IReadOnlyList<string> current, SpartaRatings ratings, string folder, CancellationToken cancellationToken)
    {
        var hyper = context.Config.Hyperparameters;
        var names = context.Config.ModelNames;
        var n = names.Count;
        var start = ratings.Ratings.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var matches = SpartaMatches.Draw(SeededRng.For(context.Seed, "text_sparta", "matchmaking", $"iteration {it}"), names, start, instructions.Count,
            hyper.Number("random_match_prob"), (int)hyper.Int("num_opponents"));

        var responses = await CompeteAsync(context, it, dev, instructions, matches, current, cancellationToken).ConfigureAwait(false);
        var rounds = await JudgeAsync(context, it, dev, instructions, matches, responses, current, cancellationToken).ConfigureAwait(false);
        var verdicts = rounds.Select(perJudge => (IReadOnlyList<SpartaVerdict>)[.. perJudge.Select(j =>
        {
            var (a, b) = SpartaJudging.Average(j.Rounds);
            return new SpartaVerdict(names[j.Judge], a, b);
        })]).ToList();

        // Step 5, pair by pair; the history keeps the ratings after every pair (frozen ratings too).
        var weights = SpartaWeights.For(hyper.String("score_type")!, it, folder, names);
        var freeze = hyper.Bool("freeze_ratings");
        var debug = hyper.Bool("debug");
        var ratingPhase = $"iteration {it} · ratings";
        if (debug)
        {
            await context.Recorder.BeginPhaseAsync(ratingPhase, "pairs", matches.Count, cancellationToken).ConfigureAwait(false);
        }
        var judged = new JsonArray();
        var ratingHistory = new JsonArray();
        var debugUpdates = new JsonArray();
        var updates = 0;
        for (var p = 0; p < matches.Count; p++)
        {
            var pair = JudgedPair(instructions[matches[p].Instruction].Prompt, current, matches[p], responses[p], rounds[p], names, start);
            judged.Add(pair);
            if (!freeze)
            {
                updates++;
                var (a, b) = (names[matches[p].A], names[matches[p].B]);
                var update = ratings.Update(updates, a, b, verdicts[p], weights);
                debugUpdates.Add(UpdateJson(updates, p, a, b, update));
            }
            ratingHistory.Add(new JsonObject { ["pair_index"] = p, ["pair"] = pair.DeepClone(), ["ratings"] = RatingsJson(ratings) });
            if (debug)
            {
                context.Recorder.Progress(ratingPhase, p + 1);
            }
        }
        SaveRatings(folder, it, ratings, names, updates, ratingHistory, judged);
        if (debug)
        {
            await context.Recorder.EndPhaseAsync(ratingPhase, null, cancellationToken).ConfigureAwait(false);
            Write(Path.Combine(folder, $"iteration_{it}", "rating_updates.json"), debugUpdates);
            SaveJudgeChunks(folder, matches, judged, names);
        }

        // Step 7 with the updated ratings; ties are dropped.
        var preferences = new JsonArray();
        var examples = new List<PreferenceExample>();
        for (var p = 0; p < matches.Count; p++)
        {
            var (a, b) = (matches[p].A, matches[p].B);
            if (ratings.Prefer(names[a], names[b], verdicts[p]) is not { } preference)
            {
                continue;
            }
            var instruction = instructions[matches[p].Instruction].Prompt;
            var (chosen, rejected) = preference.ChosenIsA ? (0, 1) : (1, 0);
            preferences.Add(new JsonObject
            {
                ["instruction"] = instruction,
                ["chosen"] = responses[p][chosen],
                ["rejected"] = responses[p][rejected],
                ["chosen_model"] = names[preference.ChosenIsA ? a : b],
                ["rejected_model"] = names[preference.ChosenIsA ? b : a],
                ["score_diff"] = preference.ScoreDiff,
                ["weighted_scores"] = new JsonArray(preference.ChosenScore, preference.RejectedScore),
            });
            examples.Add(new PreferenceExample(instruction, responses[p][chosen], responses[p][rejected]));
        }
        Write(Path.Combine(folder, $"iteration_{it}", "dataset", "preference_pairs.json"), preferences);
        if (examples.Count == 0)
        {
            context.Recorder.Warn($"iteration {it}: no preference pair (every weighted score tied): no model is trained");
            return [];
        }
        return await TrainAsync(context, it, current, examples, cancellationToken).ConfigureAwait(false);
    }

    // Step 3: each player answers each of its instructions once: one batch per model, all models concurrently.
    private static async Task<IReadOnlyList<string[]>> CompeteAsync(MethodContext context, int it, TaskSplit dev, IReadOnlyList<TaskItem> instructions,
        IReadOnlyList<SpartaMatch> matches, IReadOnlyList<string> current, CancellationToken cancellationToken)
    {
        var phase = $"iteration {it} · compete";
        var asks = current.Select(_ => new List<(int Pair, int Side)>()).ToList();
        for (var p = 0; p < matches.Count; p++)
        {
            asks[matches[p].A].Add((p, 0));
            asks[matches[p].B].Add((p, 1));
        }
        var results = await TeamGeneration.PhaseAsync(context, phase, current, [.. asks.Select((list, i) => (IReadOnlyList<GenerationRequest>)
            [.. list.Select(a => ChatPrompts.ForItem(context.Site(phase, $"model/{i}"), dev, instructions[matches[a.Pair].Instruction]))])], cancellationToken)
            .ConfigureAwait(false);
        var responses = matches.Select(_ => new string[2]).ToList();
        for (var i = 0; i < asks.Count; i++)
        {
            for (var k = 0; k < asks[i].Count; k++)
            {
                responses[asks[i][k].Pair][asks[i][k].Side] = results[i][k].Texts[0];
            }
        }
        return responses;
    }

    // Step 4: every model outside a pair judges both responses judge_rounds times: one batch per judge, all concurrently.
    // Per pair, the judges in model order with their rounds.
    private static async Task<IReadOnlyList<IReadOnlyList<(int Judge, IReadOnlyList<SpartaJudgeRound> Rounds)>>> JudgeAsync(MethodContext context, int it,
        TaskSplit dev, IReadOnlyList<TaskItem> instructions, IReadOnlyList<SpartaMatch> matches, IReadOnlyList<string[]> responses, IReadOnlyList<string> current,
        CancellationToken cancellationToken)
    {
        var phase = $"iteration {it} · judge";
        var judgeRounds = (int)context.Config.Hyperparameters.Int("judge_rounds");
        var requests = current.Select((_, j) => (IReadOnlyList<GenerationRequest>)[.. matches.SelectMany((m, p) => m.A == j || m.B == j
            ? []
            : Enumerable.Range(0, judgeRounds).SelectMany(r => new[] { 0, 1 }.Select(side => ChatPrompts.ForPrompt(context.Site(phase, $"judge/{j}"),
                ChatPrompts.ItemKey(dev, instructions[m.Instruction]), 2 * r + side, SpartaJudging.Prompt(instructions[m.Instruction].Prompt, responses[p][side])))))])
            .ToList();
        var replies = await TeamGeneration.PhaseAsync(context, phase, current, requests, cancellationToken).ConfigureAwait(false);
        var cursor = new int[current.Count];
        var judged = new List<IReadOnlyList<(int, IReadOnlyList<SpartaJudgeRound>)>>();
        foreach (var m in matches)
        {
            var perJudge = new List<(int, IReadOnlyList<SpartaJudgeRound>)>();
            for (var j = 0; j < current.Count; j++)
            {
                if (m.A == j || m.B == j)
                {
                    continue;
                }
                var rounds = new List<SpartaJudgeRound>();
                for (var r = 0; r < judgeRounds; r++)
                {
                    rounds.Add(SpartaJudgeRound.Of(replies[j][cursor[j]].Texts[0], replies[j][cursor[j] + 1].Texts[0]));
                    cursor[j] += 2;
                }
                perJudge.Add((j, rounds));
            }
            judged.Add(perJudge);
        }
        return judged;
    }

    // Step 8: every model DPO-trained on the whole preference set, all jobs concurrently. From the second iteration the
    // models are trained adapters: the reference's DPO merges one first but records the original base as the new
    // adapter's, so its models lose the earlier iterations' deltas (methods-text.md §0.9 quirk), which `reference`
    // mode reproduces; `moco` keeps every delta.
    private static async Task<IReadOnlyList<string>> TrainAsync(MethodContext context, int it, IReadOnlyList<string> current, IReadOnlyList<PreferenceExample> examples,
        CancellationToken cancellationToken)
    {
        var training = context.Training ?? throw new InvalidOperationException("text_sparta trains its models with DPO, which this run's services do not offer");
        var phase = $"iteration {it} · dpo";
        var settings = TrainingSettings.Dpo with { AdapterOnOriginalBase = context.Config.Compat == CompatMode.Reference };
        await context.Recorder.BeginPhaseAsync(phase, "jobs", current.Count, cancellationToken).ConfigureAwait(false);
        var trained = await Task.WhenAll(current.Select((model, i) =>
            training.DpoAsync(context.Site(phase, $"model/{i}"), model, examples, settings, cancellationToken))).ConfigureAwait(false);
        var folder = SideFolders.Relative("base_dir", context.Config.Hyperparameters.String("base_dir"));
        for (var i = 0; i < current.Count; i++)
        {
            await TrainedModelFolders.ExportAsync(context, trained[i].ModelId, $"{folder}/iteration_{it}/dpo_{TrainedModelFolders.SpartaName(current[i])}", cancellationToken)
                .ConfigureAwait(false);
        }
        await context.Recorder.EndPhaseAsync(phase, null, cancellationToken).ConfigureAwait(false);
        return [.. trained.Select(t => t.ModelId)];
    }

    // A judged pair as judged_pairs.json holds it: players by current id, judges by name; `scores` = the judges'
    // ave_scores weighted by their ratings at the start of the iteration.
    private static JsonObject JudgedPair(string instruction, IReadOnlyList<string> current, SpartaMatch match, string[] responses,
        IReadOnlyList<(int Judge, IReadOnlyList<SpartaJudgeRound> Rounds)> rounds, IReadOnlyList<string> names, IReadOnlyDictionary<string, SpartaRating> start)
    {
        var judges = new JsonObject();
        double s0 = 0, s1 = 0, total = 0;
        foreach (var (judge, judgeRounds) in rounds)
        {
            var (a, b) = SpartaJudging.Average(judgeRounds);
            judges[names[judge]] = new JsonObject
            {
                ["rounds"] = new JsonArray([.. judgeRounds.Select(r => (JsonNode)r.ToJson())]),
                ["ave_scores"] = new JsonArray(a, b),
            };
            var weight = start.TryGetValue(names[judge], out var rating) ? rating.Score : 1.0;
            s0 += weight * a;
            s1 += weight * b;
            total += weight;
        }
        (s0, s1) = total > 0 ? (s0 / total, s1 / total) : (5.0, 5.0);
        var diff = s0 - s1;
        return new JsonObject
        {
            ["instruction"] = instruction,
            ["models"] = new JsonArray(current[match.A], current[match.B]),
            ["responses"] = new JsonArray(responses[0], responses[1]),
            ["judges"] = judges,
            ["scores"] = new JsonArray(s0, s1),
            ["score_diff"] = diff,
            ["winner"] = diff > 0 ? 0 : diff < 0 ? 1 : null,
        };
    }

    // debug: one rating update as iteration_{it}/rating_updates.json lists it (the reference prints K and the deviations
    // per update); a pair no rated judge judged is `skipped`.
    private static JsonObject UpdateJson(int u, int pairIndex, string a, string b, SpartaUpdate? update)
    {
        var entry = new JsonObject { ["update"] = u, ["pair_index"] = pairIndex, ["players"] = new JsonArray(a, b) };
        if (update is null)
        {
            entry["skipped"] = true;
            return entry;
        }
        entry["k"] = update.K;
        entry["delta"] = update.Delta;
        entry["changes"] = new JsonArray(update.ChangeA, update.ChangeB);
        entry["deviations"] = new JsonArray(update.DeviationA, update.DeviationB);
        return entry;
    }

    private static JsonObject RatingsJson(SpartaRatings ratings) => new([.. ratings.Ratings.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonObject
    {
        ["score"] = p.Value.Score,
        ["deviation"] = p.Value.Deviation,
    }))]);

    // Step 6: model_info.json, rating_deltas.json, the rating history and the judged pairs (with a timestamped copy).
    private static void SaveRatings(string folder, int it, SpartaRatings ratings, IReadOnlyList<string> names, int updates, JsonArray history, JsonArray judged)
    {
        var iteration = Path.Combine(folder, $"iteration_{it}");
        Write(Path.Combine(iteration, "model_info.json"), RatingsJson(ratings));
        var deltas = ratings.History;
        Write(Path.Combine(folder, "rating_deltas.json"), new JsonObject
        {
            ["delta_history"] = new JsonObject([.. names.Select(m => KeyValuePair.Create(m,
                (JsonNode?)new JsonArray([.. (deltas.GetValueOrDefault(m) ?? []).Select(d => (JsonNode?)JsonValue.Create(d))])))]),
            ["update_count"] = updates,
        });
        var now = DateTime.Now;
        Write(Path.Combine(folder, $"iteration_{it}_rating_history.json"), new JsonObject
        {
            ["iteration"] = it,
            ["total_pairs"] = history.Count,
            ["history"] = history,
            ["final_ratings"] = history.Count > 0 ? history[^1]!["ratings"]!.DeepClone() : null,
            ["timestamp"] = now.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        });
        var results = Path.Combine(iteration, "judged_results");
        Write(Path.Combine(results, "judged_pairs.json"), judged);
        Write(Path.Combine(results, $"judged_pairs_{now.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture)}.json"), judged);
    }

    // debug: each judge's pairs in chunks of 50 as intermediate_results/{judge}/chunk_{c}.json (the reference's
    // per-chunk dumps; overwritten every iteration).
    private static void SaveJudgeChunks(string folder, IReadOnlyList<SpartaMatch> matches, JsonArray judged, IReadOnlyList<string> names)
    {
        for (var j = 0; j < names.Count; j++)
        {
            var mine = matches.Select((m, p) => (m, p)).Where(x => x.m.A != j && x.m.B != j).Select(x => judged[x.p]!).ToList();
            foreach (var (chunk, c) in mine.Chunk(50).Select((chunk, c) => (chunk, c)))
            {
                Write(Path.Combine(folder, "intermediate_results", names[j], $"chunk_{c}.json"), new JsonArray([.. chunk.Select(pair => pair.DeepClone())]));
            }
        }
    }

    // The reference's json.dump(…, indent=2, ensure_ascii=False).
    private static void Write(string path, JsonNode node)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, PyJsonWriter.Serialize(node, ensureAscii: false, indent: 2));
    }
}
