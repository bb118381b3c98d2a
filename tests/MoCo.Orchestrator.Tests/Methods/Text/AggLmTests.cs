using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_agglm (methods-text.md §6): the aggregator prompt and the hard/easy rule on hand-made groups, and whole
/// runs through the real engine and evaluator with scripted models and a scripted Train whose GRPO rollouts the run
/// rewards through Evaluate (Acceptance a, b).</summary>
public sealed class AggLmTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 8;
    private static readonly string[] Models = ["m-a", "m-b"];

    [Fact]
    public void The_aggregator_prompt_labels_each_solution_from_zero_and_ends_with_the_instruction()
    {
        var prompt = AggLm.Prompt("What is 2+2?", ["It is 4.\n", "Five"]);
        Assert.StartsWith("Given the following problem:\n### Problem begin\nWhat is 2+2?\n### Problem end\nand these solution attempts:\n"
            + "### Solution 0 begin\nIt is 4.\n### Solution 0 end\n\n### Solution 1 begin\nFive### Solution 1 end\n\nIt is possible that any, all, or none", prompt);
        Assert.EndsWith("Make sure to provide the final answer in the same format as the solutions.\n", prompt);
        Assert.Equal("Qwen2.5-7B_Llama-3_2", AggLm.Stem(["Qwen/Qwen2.5-7B", "meta/Llama-3"], 2));
        Assert.Equal(50, AggLm.Stem([new string('x', 60)], 2).Length);
    }

    [Theory]
    [InlineData(new[] { "A", "B", "A" }, new[] { 1.0, 0.0, 1.0 }, false)]
    [InlineData(new[] { "B", "A", "A" }, new[] { 0.0, 1.0, 1.0 }, false)]
    [InlineData(new[] { "B", "A" }, new[] { 0.0, 1.0 }, true)]
    [InlineData(new[] { "A", "A" }, new[] { 0.5, 0.5 }, true)]
    public void A_group_is_hard_when_its_majority_answer_does_not_score_exactly_one(string[] parsed, double[] scores, bool hard) =>
        Assert.Equal(hard, AggLm.IsHard(parsed, scores));

    [Fact]
    public void A_null_answer_can_be_the_majority()
    {
        Assert.True(AggLm.IsHard([null, "A", null], [0.0, 1.0, 0.0]));
    }

    [Fact]
    public async Task Hard_groups_and_as_many_easy_ones_train_the_aggregator_whose_rollouts_are_rewarded_by_their_dev_item()
    {
        var trainer = new ScriptedTrainer { RolloutText = (_, k) => $"The answer is {"ABCD"[k]}." };
        var backend = new SpartaBackend();
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var events = new System.Collections.Concurrent.ConcurrentQueue<RunEvent>();
        var result = await engine.StartAsync(harness.Start(Config(), Limit), events.Enqueue, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        var dev = await harness.GoldAsync(Split.Dev, Limit);

        // (a) Hard/easy recomputed from the dev cache side file.
        var cache = JsonNode.Parse(File.ReadAllText(Path.Combine(harness.ArtifactsDirectory, result.RunId, "text_agglm", "model_collaboration", "logs", "agglm",
            "m-a_m-b_2.json")))!.AsArray();
        Assert.Equal(dev.Select(d => d.Prompt), cache.Select(c => (string)c!["input"]!));
        var hard = new List<string>();
        var easy = new List<string>();
        foreach (var (entry, (prompt, gold)) in cache.Zip(dev))
        {
            var generation = entry!["generation"]!.AsArray().Select(g => (string)g!).ToList();
            Assert.Equal(4, generation.Count);
            for (var i = 0; i < 2; i++)
            {
                var group = generation.Skip(2 * i).Take(2).ToList();
                var letters = group.Select(TeamScenario.Letter).ToList();
                var majority = letters.GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
                (TeamScenario.Letter(group[letters.IndexOf(majority)]) == gold ? easy : hard).Add(AggLm.Prompt(prompt, group));
            }
        }
        var moco = harness.ReadRunLog(result.RunId)["moco"]!;
        Assert.Equal((hard.Count, easy.Count, Math.Min(hard.Count, easy.Count)), ((int)moco["hard"]!, (int)moco["easy"]!, (int)moco["easy_kept"]!));
        Assert.NotEmpty(hard);

        var job = Assert.Single(trainer.Jobs);
        Assert.Equal((TrainKind.PolicyGradient, "agg", 4, 1, 1, 1e-4, 1e-5), (job.Job.Kind, job.Job.BaseModel, job.Job.Hyper.GroupSize!.Value, job.Job.Hyper.MicroBatch!.Value,
            job.Job.Hyper.GradAccum!.Value, job.Job.Hyper.LearningRate!.Value, job.Job.Hyper.WeightDecay!.Value));
        Assert.Equal((1.0f, 1.0f, 16), (job.Job.RolloutSampling.Temperature!.Value, job.Job.RolloutSampling.TopP!.Value, job.Job.RolloutSampling.MaxNewTokens!.Value));
        var prompts = job.Examples.Select(e => Assert.Single(e.Prompt.Chat.Messages).Content).ToList();
        Assert.Equal(hard.Count + Math.Min(hard.Count, easy.Count), prompts.Count);
        Assert.Equal(hard, prompts.Take(hard.Count));
        // GRPO's steps (one prompt each) are the aggregator's progress in the training phase, the last with its loss.
        var last = events.Last(e => e.Progress is { Phase: "dev · grpo", Model: "agg", Loss: not null }).Progress;
        Assert.Equal((prompts.Count, prompts.Count, 1.0 / prompts.Count), (last.Done, last.Total, last.Loss));
        Assert.All(prompts.Skip(hard.Count), p => Assert.Contains(p, easy));

        // Each rollout's reward is its dev item's score: 1 for the gold letter.
        var rewards = trainer.Rewards.ToList();
        Assert.Equal(4 * prompts.Count, rewards.Count);
        foreach (var (rollout, reward) in rewards)
        {
            var gold = dev.Single(d => prompts[rollout.ExampleIndex].Contains("### Problem begin\n" + d.Prompt + "\n### Problem end", StringComparison.Ordinal)).Letter;
            Assert.Equal(TeamScenario.Letter(rollout.Text) == gold ? 1.0 : 0.0, reward);
        }

        // Candidates and test answers at 0.7 (no temperature in the config); the trained aggregator answers the test.
        Assert.All(backend.Calls.Where(c => Models.Contains(c.Model) && dev.Any(d => d.Prompt == c.Prompt)), c => Assert.Equal((0.7, 2), (Math.Round(c.Temperature, 6), c.Samples)));
        var test = await harness.GoldAsync(Split.Test, Limit);
        Assert.All(test, t => Assert.All(Models, m => Assert.Contains(backend.Calls, c => c.Model == m && c.Prompt == t.Prompt && Math.Round(c.Temperature, 6) == 0.7)));
        var log = harness.ReadRunLog(result.RunId);
        var expected = test.Select(t => backend.Calls.Single(c => c.Model == job.Job.OutputId
            && c.Prompt == AggLm.Prompt(t.Prompt, Models.Select(m => backend.Calls.First(x => x.Model == m && x.Prompt == t.Prompt).Response))).Response).ToList();
        Assert.Equal(expected, log["logs"]!.AsArray().Select(e => (string)e!["output"]!));
        Assert.Equal(job.Job.OutputId, (string)log["moco"]!["trained_aggregator"]!);
    }

    [Fact]
    public async Task A_rerun_reuses_the_trained_aggregator_unless_reuse_log_is_false()
    {
        var trainer = new ScriptedTrainer();
        var (engine, _) = await harness.EngineAsync(new SpartaBackend(), inference: new InferenceService.InferenceServiceClient(trainer));
        var first = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        var second = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        Assert.Equal((RunState.Succeeded, RunState.Succeeded), (first.Status, second.Status));
        Assert.Single(trainer.Jobs);
        Assert.True((bool)harness.ReadRunLog(second.RunId)["moco"]!["reused"]!);

        var fresh = await engine.StartAsync(harness.Start(Config(", \"reuse_log\": false"), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, fresh.Status);
        Assert.Equal(2, trainer.Jobs.Count);
        Assert.NotEqual(trainer.Jobs.First().Job.OutputId, trainer.Jobs.Last().Job.OutputId);
    }

    [Fact]
    public async Task A_run_killed_mid_grpo_resumes_with_its_candidates_from_the_store_and_the_same_job_from_step_zero()
    {
        var (clean, _) = await RunAsync(new ScriptedTrainer());

        // Killed while the trainer waits on the rewards of its second rollout batch.
        using var kill = new CancellationTokenSource();
        var trainer = new ScriptedTrainer
        {
            RolloutText = (example, sample) =>
            {
                if (example == 1)
                {
                    kill.Cancel();
                }
                return $"rollout {example}.{sample}";
            },
        };
        var backend = new SpartaBackend();
        var (engine, store) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var killed = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, kill.Token);
        Assert.Equal(RunState.Cancelled, killed.Status);
        var interrupted = Assert.Single(trainer.Jobs);
        var generated = backend.Calls.Count;
        Assert.Equal(2 * Limit, generated);

        var rewarded = trainer.Rewards.Count;
        trainer.RolloutText = (example, sample) => $"rollout {example}.{sample}";
        var resumed = await engine.ResumeAsync(new RunResume(killed.RunId, null, false, harness.LogDirectory, new MoCo.Orchestrator.Logs.LogWriteOptions(), false),
            _ => { }, default);
        Assert.True(resumed.Status == RunState.Succeeded, resumed.Error?.Message);

        // The dev candidates come from the store (no generation ran twice); the cancelled job registered nothing, so the
        // same job (key, examples) runs again, from its first step, and the run ends as an uninterrupted one.
        var keys = backend.Calls.Select(c => c.CallKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.DoesNotContain(backend.Calls.Skip(generated), c => c.Samples == 2);
        var rerun = trainer.Jobs.Last();
        Assert.Equal(2, trainer.Jobs.Count);
        Assert.Equal(interrupted.Job.CallKey, rerun.Job.CallKey);
        Assert.Equal(interrupted.Examples, rerun.Examples);
        Assert.Equal(4 * rerun.Examples.Count, trainer.Rewards.Count - rewarded);
        Assert.Equal(RunState.Succeeded, (await store.GetRunAsync(killed.RunId))!.StoredStatus);
        Assert.Equal(EngineHarness.ReferencePart(harness.ReadRunLog(clean.RunId)).ToJsonString(), EngineHarness.ReferencePart(harness.ReadRunLog(resumed.RunId)).ToJsonString());
    }

    private async Task<(RunResult Result, ScriptedTrainer Trainer)> RunAsync(ScriptedTrainer trainer)
    {
        var (engine, _) = await harness.EngineAsync(new SpartaBackend(), inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        return (result, trainer);
    }

    private static string Config(string extra = "") => EngineHarness.Config("text_agglm", string.Join(", ", Models.Select(m => $"\"{m}\"")),
        ", \"agg_model\": \"agg\"" + extra).Replace("\"temperature\": 0.7, ", "", StringComparison.Ordinal);
}
