using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_sparta (methods-text.md §12): the rating update, the judge parser and matchmaking on hand-made input
/// (Acceptance a, b), and whole runs through the real engine and evaluator with scripted models and a scripted Train
/// (Acceptance c, d; a second iteration trains the trained models; kill and resume).</summary>
public sealed class SpartaTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;
    private static readonly string[] Models = ["m-a", "m-b", "m-c"];

    [Fact]
    public void One_pair_judged_8_to_6_moves_the_ratings_by_the_reference_amounts_and_a_second_pair_sets_the_deviation_floor()
    {
        var ratings = new SpartaRatings(["A", "B", "C"], null, null, SpartaRatingSettings.Defaults);
        Assert.Equal(9.895192582062144, ratings.K(1), 1e-12);
        var first = ratings.Update(1, "A", "B", [new SpartaVerdict("C", 8, 6)])!;
        Assert.Equal((ratings.K(1), 2.0, 0.5, 0.5), (first.K, first.Delta, first.DeviationA, first.DeviationB));
        Assert.Equal(0.00457273826656, first.ChangeA, 1e-9);
        Assert.Equal(-0.00457273826656, first.ChangeB, 1e-9);
        Assert.Equal(100.00457273826656, ratings.Ratings["A"].Score, 1e-9);
        Assert.Equal(99.99542726173344, ratings.Ratings["B"].Score, 1e-9);
        Assert.Equal((0.5, 0.5, 0.5), (ratings.Ratings["A"].Deviation, ratings.Ratings["B"].Deviation, ratings.Ratings["C"].Deviation));

        Assert.Equal(9.791483623609768, ratings.K(2), 1e-12);
        Assert.Equal((0.1, 0.1), (ratings.Update(2, "A", "B", [new SpartaVerdict("C", 8, 6)])!.DeviationA, ratings.Ratings["B"].Deviation));
        Assert.Equal(100.0092420179251, ratings.Ratings["A"].Score, 1e-9);
        Assert.Equal(99.98837430447948, ratings.Ratings["B"].Score, 1e-9);
        Assert.Equal((0.1, 0.1, 0.5), (ratings.Ratings["A"].Deviation, ratings.Ratings["B"].Deviation, ratings.Ratings["C"].Deviation));
        Assert.Equal(100.0, ratings.Ratings["C"].Score);
    }

    [Fact]
    public void K_decays_continuously_to_its_floor_and_players_judges_and_unrated_judges_carry_no_weight()
    {
        var ratings = new SpartaRatings(["A", "B", "C"], null, null, SpartaRatingSettings.Defaults);
        Assert.Equal(10 * Math.Pow(0.9, 0.5), ratings.K(5), 1e-12);
        Assert.Equal(5.0, ratings.K(1000));
        Assert.Null(ratings.Update(1, "A", "B", [new SpartaVerdict("A", 9, 1), new SpartaVerdict("X", 9, 1)]));
        Assert.Equal(100.0, ratings.Ratings["A"].Score);
        Assert.Null(ratings.Prefer("A", "B", [new SpartaVerdict("B", 9, 1)]));
        Assert.Null(ratings.Prefer("A", "B", [new SpartaVerdict("C", 6, 6)]));
        var preference = ratings.Prefer("A", "B", [new SpartaVerdict("C", 3, 7)])!;
        Assert.Equal((false, 7.0, 3.0, 4.0), (preference.ChosenIsA, preference.ChosenScore, preference.RejectedScore, preference.ScoreDiff));
    }

    [Fact]
    public void Player_weights_scale_each_side_of_the_update()
    {
        var ratings = new SpartaRatings(["A", "B", "C"], null, null, SpartaRatingSettings.Defaults);
        // W_a = 0 and s_b = 6: Δ = −6, so a loses what it would have won at 6 − 0.
        ratings.Update(1, "A", "B", [new SpartaVerdict("C", 8, 6)], new Dictionary<string, double> { ["A"] = 0.0 });
        Assert.True(ratings.Ratings["A"].Score < 100.0);
        Assert.Equal(100.0 - ratings.Ratings["A"].Score, 9.895192582062144 * 6 * Math.Tanh(0.5) * 0.01 / 20, 1e-12);
    }

    [Theory]
    [InlineData("{\"score\": 7}", 7)]
    [InlineData("Score: 8/10", 8)]
    [InlineData("  {\"score\": 9.6}  ", 9)]
    [InlineData("I give it \"score\" : 10 overall", 10)]
    [InlineData("score = 0, then score=4", 4)]
    [InlineData("roughly 6 / 10", 6)]
    [InlineData("{\"score\": 3, \"score\": 5}", 5)]
    public void Judge_replies_parse_to_the_first_score_in_range(string reply, int expected) => Assert.Equal(expected, SpartaJudging.ParseScore(reply));

    [Theory]
    [InlineData("{\"score\": 11}")]
    [InlineData("7.9")]
    [InlineData("")]
    [InlineData("{\"score\": \"7\"")]
    [InlineData("score: 0")]
    public void Judge_replies_without_a_score_in_range_do_not_parse(string reply) => Assert.Null(SpartaJudging.ParseScore(reply));

    [Fact]
    public void A_judge_averages_its_rounds_and_a_failed_reply_defaults_the_round()
    {
        var good = SpartaJudgeRound.Of("{\"score\": 8}", "{\"score\": 3}");
        var failed = SpartaJudgeRound.Of("{\"score\": 8}", "no idea");
        Assert.Equal((8.0, 3.0, false), (good.Score0, good.Score1, good.DefaultScoresUsed));
        Assert.Equal((5.0, 5.0, true, null, SpartaJudging.ParseError), (failed.Score0, failed.Score1, failed.DefaultScoresUsed, failed.Error0, failed.Error1));
        Assert.Equal((6.5, 4.0), SpartaJudging.Average([good, failed]));
        Assert.Equal((5.0, 5.0), SpartaJudging.Average([failed, failed]));
        Assert.Equal((7.67, 3.0), SpartaJudging.Average([good, good, SpartaJudgeRound.Of("{\"score\": 7}", "3/10")]));
    }

    [Fact]
    public void Matchmaking_gives_every_model_one_first_move_per_loop_and_picks_the_nearest_rated_opponent()
    {
        var models = new[] { "A", "B", "C", "D" };
        var ratings = new Dictionary<string, SpartaRating> { ["A"] = new(100, 0.5), ["B"] = new(140, 0.5), ["C"] = new(101, 0.5), ["D"] = new(99.5, 0.5) };
        var matches = SpartaMatches.Draw(SeededRng.For(3, "t"), models, ratings, 10, randomMatchProb: 0.0, numOpponents: 1);
        Assert.Equal(Enumerable.Range(0, 10), matches.Select(m => m.Instruction));
        Assert.Equal([0, 1, 2, 3], matches.Take(4).Select(m => m.A).Order());
        Assert.Equal([0, 1, 2, 3], matches.Skip(4).Take(4).Select(m => m.A).Order());
        int[] nearest = [3, 2, 0, 0];
        Assert.All(matches, m => Assert.Equal(nearest[m.A], m.B));
        var again = SpartaMatches.Draw(SeededRng.For(3, "t"), models, ratings, 10, 0.0, 1);
        Assert.Equal(matches, again);
        var random = SpartaMatches.Draw(SeededRng.For(3, "t"), models, ratings, 40, randomMatchProb: 1.0, numOpponents: 1);
        Assert.All(random, m => Assert.NotEqual(m.A, m.B));
        Assert.Contains(random, m => m.B != nearest[m.A]);
    }

    [Fact]
    public async Task Six_instructions_give_six_judged_pairs_and_every_model_is_dpo_trained_on_the_same_preferences()
    {
        var (result, backend, trainer) = await RunAsync(Config());
        var dev = await harness.GoldAsync(Split.Dev, Limit);

        var judged = ReadSide(result.RunId, "iteration_0/judged_results/judged_pairs.json").AsArray();
        Assert.Equal(dev.Select(d => d.Prompt), judged.Select(p => (string)p!["instruction"]!));
        foreach (var pair in judged)
        {
            var players = pair!["models"]!.AsArray().Select(m => (string)m!).ToList();
            Assert.Equal(2, players.Distinct().Count());
            Assert.Equal(Models.Except(players), pair["judges"]!.AsObject().Select(j => j.Key));
        }
        // 12 competition answers by the base models to dev items, 12 judgements (the third model on both responses of each pair).
        var devPrompts = dev.Select(d => d.Prompt).ToHashSet();
        Assert.Equal(12, backend.Calls.Count(c => Models.Contains(c.Model) && devPrompts.Contains(c.Prompt)));
        Assert.Equal(12, backend.Judgements.Count);
        Assert.All(backend.Calls, c => Assert.Equal(16, c.MaxNewTokens));

        // Preferences: recomputed from the saved verdicts and the saved (updated) ratings.
        var info = ReadSide(result.RunId, "iteration_0/model_info.json").AsObject();
        var preferences = ReadSide(result.RunId, "iteration_0/dataset/preference_pairs.json").AsArray();
        var expected = new List<(string Instruction, string Chosen, string Rejected)>();
        foreach (var pair in judged)
        {
            var judge = pair!["judges"]!.AsObject().Single();
            var rating = (double)info[judge.Key]!["score"]!;
            var (wa, wb) = (rating * (double)judge.Value!["ave_scores"]![0]! / rating, rating * (double)judge.Value["ave_scores"]![1]! / rating);
            if (wa != wb)
            {
                var (chosen, rejected) = wa > wb ? (0, 1) : (1, 0);
                expected.Add(((string)pair["instruction"]!, (string)pair["responses"]![chosen]!, (string)pair["responses"]![rejected]!));
            }
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected, preferences.Select(p => ((string)p!["instruction"]!, (string)p["chosen"]!, (string)p["rejected"]!)));
        Assert.All(preferences, p => Assert.True((double)p!["weighted_scores"]![0]! > (double)p["weighted_scores"]![1]!));

        var jobs = trainer.Jobs.ToList();
        Assert.Equal(Models, jobs.Select(j => j.Job.BaseModel).Order());
        Assert.All(jobs, j => Assert.Equal((TrainKind.Dpo, 1e-6, 16, 0.1), (j.Job.Kind, j.Job.Hyper.LearningRate!.Value, j.Job.Hyper.GradAccum!.Value, j.Job.Hyper.Beta!.Value)));
        Assert.All(jobs, j => Assert.Equal(expected, j.Examples.Select(e => (Assert.Single(e.Prompt.Chat.Messages).Content, e.Preference.Chosen.Text, e.Preference.Rejected.Text))));

        // BOD over the three trained models; the winner answers the test.
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(Models.Select(m => m + "_iter0"), log["dev_scores"]!.AsObject().Select(p => p.Key));
        var best = (string)log["best_model_path"]!;
        Assert.Equal(jobs.Single(j => j.Job.BaseModel == (string)log["best_model"]!).Job.OutputId, best);
        Assert.Equal(0, (int)log["best_model_iteration"]!);
        Assert.Equal(["task", "task_type", "method", "model_names", "best_model", "best_model_iteration", "best_model_path", "hyperparameters", "avg_test_score",
            "dev_scores", "logs", "moco"], log.Select(p => p.Key));
        var test = await harness.GoldAsync(Split.Test, Limit);
        Assert.Equal(test.Select(t => backend.Calls.Single(c => c.Model == best && c.Prompt == t.Prompt).Response), log["logs"]!.AsArray().Select(e => (string)e!["output"]!));
    }

    [Fact]
    public async Task One_token_judges_never_parse_so_ratings_stay_put_and_the_best_base_model_answers()
    {
        var (result, backend, trainer) = await RunAsync(Config().Replace("\"max_response_length\": 16", "\"max_response_length\": 1", StringComparison.Ordinal));
        Assert.Empty(trainer.Jobs);
        Assert.Equal(12, backend.Judgements.Count);
        var judged = ReadSide(result.RunId, "iteration_0/judged_results/judged_pairs.json").AsArray();
        Assert.All(judged, p => Assert.All(p!["judges"]!.AsObject(), j => Assert.Equal([5.0, 5.0], j.Value!["ave_scores"]!.AsArray().Select(s => (double)s!))));
        Assert.Empty(ReadSide(result.RunId, "iteration_0/dataset/preference_pairs.json").AsArray());
        var info = ReadSide(result.RunId, "iteration_0/model_info.json").AsObject();
        Assert.Equal(Models, info.Select(p => p.Key));
        Assert.All(info, p => Assert.Equal((100.0, 0.1), ((double)p.Value!["score"]!, (double)p.Value["deviation"]!)));

        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(Models, log["dev_scores"]!.AsObject().Select(p => p.Key));
        Assert.Contains((string)log["best_model"]!, Models);
        Assert.Equal(((string)log["best_model"]!, 0), ((string)log["best_model_path"]!, (int)log["best_model_iteration"]!));
    }

    [Fact]
    public async Task A_second_iteration_trains_the_trained_models_and_every_iterations_models_are_candidates()
    {
        var (result, _, trainer) = await RunAsync(Config().Replace("\"num_iterations\": 1", "\"num_iterations\": 2", StringComparison.Ordinal));
        var jobs = trainer.Jobs.ToList();
        Assert.Equal(6, jobs.Count);
        var firstIds = jobs.Where(j => Models.Contains(j.Job.BaseModel)).Select(j => j.Job.OutputId).ToHashSet();
        Assert.Equal(3, firstIds.Count);
        Assert.All(jobs.Where(j => !Models.Contains(j.Job.BaseModel)), j => Assert.Contains(j.Job.BaseModel, firstIds));
        Assert.True(File.Exists(Path.Combine(SideFolder(result.RunId), "iteration_1", "model_info.json")));
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(Models.Select(m => m + "_iter0").Concat(Models.Select(m => m + "_iter1")), log["dev_scores"]!.AsObject().Select(p => p.Key));
        // moco keeps every iteration's delta in the trained adapters.
        Assert.All(jobs, j => Assert.False(j.Job.AdapterOnOriginalBase));
    }

    [Fact]
    public async Task In_reference_mode_dpo_serves_each_new_adapter_on_the_original_base_as_the_reference_loads_it()
    {
        var config = Config().Replace("\"num_iterations\": 1", "\"num_iterations\": 2", StringComparison.Ordinal)
            .Replace("\"seed\": 7", "\"compat\": \"reference\", \"seed\": 7", StringComparison.Ordinal);
        var (_, _, trainer) = await RunAsync(config);
        var jobs = trainer.Jobs.ToList();
        Assert.Equal(6, jobs.Count);
        Assert.All(jobs, j => Assert.True(j.Job.AdapterOnOriginalBase));
    }

    [Fact]
    public async Task A_killed_run_resumes_without_repeating_a_call_and_ends_as_an_uninterrupted_run()
    {
        var config = Config();
        var (clean, _, _) = await RunAsync(config);

        var trainer = new ScriptedTrainer();
        var backend = new SpartaBackend { CancelAfter = 20 };
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        using var kill = new CancellationTokenSource();
        backend.Kill = kill;
        var killed = await engine.StartAsync(harness.Start(config, Limit), _ => { }, kill.Token);
        Assert.Equal(RunState.Cancelled, killed.Status);
        backend.CancelAfter = null;
        var resumed = await engine.ResumeAsync(new RunResume(killed.RunId, null, false, harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false),
            _ => { }, default);
        Assert.True(resumed.Status == RunState.Succeeded, resumed.Error?.Message);
        var keys = backend.Calls.Select(c => c.CallKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(EngineHarness.ReferencePart(harness.ReadRunLog(clean.RunId)).ToJsonString(), EngineHarness.ReferencePart(harness.ReadRunLog(resumed.RunId)).ToJsonString());
    }

    [Fact]
    public async Task Debug_reports_each_rating_update_as_progress_and_writes_its_k_and_deviations_and_each_judges_pairs()
    {
        var events = new System.Collections.Concurrent.ConcurrentQueue<RunEvent>();
        var (engine, _) = await harness.EngineAsync(new SpartaBackend(), inference: new InferenceService.InferenceServiceClient(new ScriptedTrainer()));
        var result = await engine.StartAsync(harness.Start(Config(", \"debug\": true"), Limit), events.Enqueue, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        Assert.Equal(6, Assert.Single(events, e => e.PhaseStarted?.Name == "iteration 0 · ratings").PhaseStarted.Total);
        Assert.Contains(events, e => e.Progress is { Phase: "iteration 0 · ratings", Done: 6 });
        Assert.Single(events, e => e.PhaseFinished?.Name == "iteration 0 · ratings");

        // Replaying the updates from the judged pairs gives every logged K, Δ, change and deviation.
        var judged = ReadSide(result.RunId, "iteration_0/judged_results/judged_pairs.json").AsArray();
        var updates = ReadSide(result.RunId, "iteration_0/rating_updates.json").AsArray();
        Assert.Equal(judged.Count, updates.Count);
        var replay = new SpartaRatings(Models, null, null, SpartaRatingSettings.Defaults);
        for (var p = 0; p < judged.Count; p++)
        {
            var players = judged[p]!["models"]!.AsArray().Select(m => (string)m!).ToArray();
            var verdicts = judged[p]!["judges"]!.AsObject().Select(j => new SpartaVerdict(j.Key, (double)j.Value!["ave_scores"]![0]!, (double)j.Value["ave_scores"]![1]!)).ToList();
            var expected = replay.Update(p + 1, players[0], players[1], verdicts)!;
            var logged = updates[p]!;
            Assert.Equal((p + 1, p, players[0], players[1]), ((int)logged["update"]!, (int)logged["pair_index"]!, (string)logged["players"]![0]!, (string)logged["players"]![1]!));
            Assert.Equal((expected.K, expected.Delta, expected.ChangeA, expected.ChangeB, expected.DeviationA, expected.DeviationB),
                ((double)logged["k"]!, (double)logged["delta"]!, (double)logged["changes"]![0]!, (double)logged["changes"]![1]!, (double)logged["deviations"]![0]!,
                    (double)logged["deviations"]![1]!));
        }
        Assert.Equal(replay.Ratings.Select(r => (r.Key, r.Value.Score)), ReadSide(result.RunId, "iteration_0/model_info.json").AsObject()
            .Select(r => (r.Key, (double)r.Value!["score"]!)));

        // Each judge's chunk holds exactly the pairs it judged, in pair order.
        foreach (var judge in Models)
        {
            var chunk = ReadSide(result.RunId, $"intermediate_results/{judge}/chunk_0.json").AsArray();
            Assert.Equal(judged.Where(p => p!["judges"]!.AsObject().ContainsKey(judge)).Select(p => p!.ToJsonString()), chunk.Select(p => p!.ToJsonString()));
            Assert.False(File.Exists(Path.Combine(SideFolder(result.RunId), "intermediate_results", judge, "chunk_1.json")));
        }
    }

    [Fact]
    public async Task The_rating_side_files_hold_the_deltas_the_ratings_after_every_pair_and_a_timestamped_copy_of_the_judged_pairs()
    {
        var (result, _, _) = await RunAsync(Config());
        var judged = ReadSide(result.RunId, "iteration_0/judged_results/judged_pairs.json").AsArray();
        var copy = Assert.Single(Directory.GetFiles(Path.Combine(SideFolder(result.RunId), "iteration_0", "judged_results"), "judged_pairs_*.json"));
        Assert.Matches(@"judged_pairs_\d{8}_\d{6}\.json$", copy);
        Assert.Equal(judged.ToJsonString(), JsonNode.Parse(File.ReadAllText(copy))!.ToJsonString());

        // Replaying the updates from the judged pairs gives the history after every pair and the kept deltas.
        var replay = new SpartaRatings(Models, null, null, SpartaRatingSettings.Defaults);
        var history = ReadSide(result.RunId, "iteration_0_rating_history.json").AsObject();
        Assert.Equal(["iteration", "total_pairs", "history", "final_ratings", "timestamp"], history.Select(p => p.Key));
        Assert.Equal((0, judged.Count), ((int)history["iteration"]!, (int)history["total_pairs"]!));
        var entries = history["history"]!.AsArray();
        for (var p = 0; p < judged.Count; p++)
        {
            var players = judged[p]!["models"]!.AsArray().Select(m => (string)m!).ToArray();
            replay.Update(p + 1, players[0], players[1],
                [.. judged[p]!["judges"]!.AsObject().Select(j => new SpartaVerdict(j.Key, (double)j.Value!["ave_scores"]![0]!, (double)j.Value["ave_scores"]![1]!))]);
            Assert.Equal((p, judged[p]!.ToJsonString()), ((int)entries[p]!["pair_index"]!, entries[p]!["pair"]!.ToJsonString()));
            Assert.Equal(replay.Ratings.Select(r => (r.Key, r.Value.Score, r.Value.Deviation)),
                entries[p]!["ratings"]!.AsObject().Select(r => (r.Key, (double)r.Value!["score"]!, (double)r.Value["deviation"]!)));
        }
        Assert.Equal(ReadSide(result.RunId, "iteration_0/model_info.json").ToJsonString(), history["final_ratings"]!.ToJsonString());
        var deltas = ReadSide(result.RunId, "rating_deltas.json").AsObject();
        Assert.Equal(judged.Count, (int)deltas["update_count"]!);
        Assert.Equal(Models.Select(m => (m, string.Join(",", replay.History.GetValueOrDefault(m) ?? []))),
            deltas["delta_history"]!.AsObject().Select(d => (d.Key, string.Join(",", d.Value!.AsArray().Select(x => (double)x!)))));
    }

    [Fact]
    public async Task Without_debug_no_rating_phase_update_list_or_judge_chunk_is_written()
    {
        var (result, _, _) = await RunAsync(Config());
        Assert.False(File.Exists(Path.Combine(SideFolder(result.RunId), "iteration_0", "rating_updates.json")));
        Assert.False(Directory.Exists(Path.Combine(SideFolder(result.RunId), "intermediate_results")));
    }

    [Fact]
    public async Task A_base_dir_outside_the_artifact_folder_is_refused_before_the_run_and_a_nested_one_holds_the_side_files()
    {
        var (engine, _) = await harness.EngineAsync(new SpartaBackend(), inference: new InferenceService.InferenceServiceClient(new ScriptedTrainer()));
        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => engine.StartAsync(harness.Start(Config(", \"base_dir\": \"../elsewhere\""), Limit), _ => { }, default));
        Assert.Contains(refused.Problems, p => p.Path == "hyperparameters.base_dir");
        Assert.Throws<ArgumentException>(() => SideFolders.Relative("base_dir", "/abs"));
        Assert.Equal("runs/sparta", SideFolders.Relative("base_dir", "runs\\sparta/"));

        var (result, _, _) = await RunAsync(Config(", \"base_dir\": \"runs/sparta\""));
        Assert.True(File.Exists(Path.Combine(harness.ArtifactsDirectory, result.RunId, "text_sparta", "runs", "sparta", "iteration_0", "model_info.json")));
    }

    [Fact]
    public void Dynamic_and_static_weights_follow_the_earlier_iterations_ratings()
    {
        var folder = Path.Combine(harness.Directory, "weights-" + Guid.NewGuid().ToString("N")[..8]);
        void Info(int iteration, params (string Name, double Score)[] models)
        {
            Directory.CreateDirectory(Path.Combine(folder, $"iteration_{iteration}"));
            File.WriteAllText(Path.Combine(folder, $"iteration_{iteration}", "model_info.json"),
                new JsonObject([.. models.Select(m => KeyValuePair.Create(m.Name, (JsonNode?)new JsonObject { ["score"] = m.Score, ["deviation"] = 0.5 }))]).ToJsonString());
        }
        string[] names = ["A", "B", "C", "D"];
        Info(1, ("A", 101), ("B", 99), ("C", 99), ("D", 102));
        Info(2, ("A", 98), ("B", 100), ("C", 103), ("D", 97));
        Assert.All(SpartaWeights.For("normal", 3, folder, names).Values, w => Assert.Equal(1.0, w));
        Assert.All(SpartaWeights.For("dynamic", 1, folder, names).Values, w => Assert.Equal(1.0, w));
        // Dynamic at 3: iteration 2's two lowest, D (0) then A (0.1).
        Assert.Equal([0.1, 1.0, 1.0, 0.0], SpartaWeights.For("dynamic", 3, folder, names).Values.Select(w => Math.Round(w, 12)));
        // Static at 3: iteration 1's lowest (B, first of the tie) gets 0, iteration 2's lowest not yet picked (D) 0.1.
        Assert.Equal([1.0, 0.0, 1.0, 0.1], SpartaWeights.For("static", 3, folder, names).Values.Select(w => Math.Round(w, 12)));
        // Iteration 7 saves its weights; 8 and later load them.
        Info(6, ("A", 90), ("B", 95), ("C", 80), ("D", 99));
        var seventh = SpartaWeights.For("dynamic", 7, folder, names);
        Assert.True(File.Exists(Path.Combine(folder, "iteration_7", "weights.json")));
        Assert.Equal(seventh, SpartaWeights.For("dynamic", 9, folder, names));
    }

    private async Task<(RunResult Result, SpartaBackend Backend, ScriptedTrainer Trainer)> RunAsync(string config)
    {
        var trainer = new ScriptedTrainer();
        var backend = new SpartaBackend();
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        return (result, backend, trainer);
    }

    private static string Config(string extra = "") => EngineHarness.Config("text_sparta", string.Join(", ", Models.Select(m => $"\"{m}\"")),
        ", \"num_iterations\": 1, \"num_instructions\": 6" + extra);

    private string SideFolder(string runId) => Path.Combine(harness.ArtifactsDirectory, runId, "text_sparta", "model_collaboration", "logs", "text_sparta");

    private JsonNode ReadSide(string runId, string relative) => JsonNode.Parse(File.ReadAllText(Path.Combine(SideFolder(runId), relative)))!;
}
