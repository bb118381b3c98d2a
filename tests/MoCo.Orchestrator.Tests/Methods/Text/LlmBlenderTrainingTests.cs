using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_llm_blender's dev training (methods-text.md §3 "Training") through the real engine and evaluator:
/// scripted candidates, a scripted Train (<see cref="ScriptedTrainer"/>), and trained models that behave as trained —
/// the ranker always answers "A", the fuser copies its first candidate.</summary>
public sealed class LlmBlenderTrainingTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 10;
    private static readonly string[] Models = ["m-a", "m-b", "m-c"];

    [Fact]
    public async Task Ranker_training_writes_one_record_per_unequal_dev_pair_and_the_trained_ranker_judges_the_test()
    {
        var trainer = new ScriptedTrainer();
        var backend = new TrainedBlenderBackend(trainer);
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(Config(", \"top_k\": 2, \"train_ranker_on_dev\": true, \"ranker_sft_epoch\": 1"), Limit), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        // Independent oracle: a candidate scores 1 when its scripted letter is the gold letter.
        var expected = new List<(string Prompt, string Completion)>();
        foreach (var (prompt, letter, _) in await DevAsync())
        {
            var candidates = Models.Select(m => $"The answer is {ScriptedBackend.Letter(m, prompt)}.").ToList();
            var scores = Models.Select(m => ScriptedBackend.Letter(m, prompt) == letter ? 1 : 0).ToList();
            foreach (var (i, j) in new[] { (0, 1), (0, 2), (1, 2) }.Where(p => scores[p.Item1] != scores[p.Item2]))
            {
                expected.Add((MoCo.Orchestrator.Methods.Text.LlmBlender.PairPrompt(prompt, candidates[i], candidates[j]), scores[i] > scores[j] ? "A" : "B"));
            }
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ReadJsonl(result.RunId, $"ranker_sft_agieval_tiny_{Models.Length}.jsonl"));

        var job = Assert.Single(trainer.Jobs);
        Assert.Equal((TrainKind.Sft, "judge"), (job.Job.Kind, job.Job.BaseModel));
        Assert.Equal((64, 16f, 0.1f), (job.Job.Lora.R!.Value, job.Job.Lora.Alpha!.Value, job.Job.Lora.Dropout!.Value));
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], job.Job.Lora.TargetModules);
        Assert.Equal((1e-5, 1, 1, 16, LrSchedule.Cosine, 0.1, 42UL), (job.Job.Hyper.LearningRate!.Value, job.Job.Hyper.Epochs!.Value, job.Job.Hyper.MicroBatch!.Value,
            job.Job.Hyper.GradAccum!.Value, job.Job.Hyper.Schedule, job.Job.Hyper.WarmupRatio!.Value, job.Job.Hyper.Seed!.Value));
        Assert.Equal("trained-" + job.Job.CallKey, job.Job.OutputId);
        // Examples go as inference sees them: one user turn, the record's completion as target.
        Assert.Equal(expected, job.Examples.Select(e => (Assert.Single(e.Prompt.Chat.Messages).Content, e.Completion.Text)));

        Assert.DoesNotContain("judge", backend.Calls);
        Assert.Equal(Limit * 3, backend.Calls.Count(m => m == job.Job.OutputId));
        Assert.All(harness.ReadRunLog(result.RunId)["logs"]!.AsArray(), e =>
        {
            Assert.Equal([2.0, 1.0, 0.0], e!["ranker_scores"]!.AsArray().Select(s => (double)s!));
            Assert.Equal([0, 1], e["top_k_model_indices"]!.AsArray().Select(t => (int)t!));
        });
        Assert.Equal(job.Job.OutputId, (string)harness.ReadRunLog(result.RunId)["moco"]!["trained_ranker"]!);
    }

    [Fact]
    public async Task Fuser_training_targets_the_gold_option_text_over_the_dev_best_candidates_and_the_trained_fuser_fuses()
    {
        var trainer = new ScriptedTrainer();
        var backend = new TrainedBlenderBackend(trainer);
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(Config(", \"top_k\": 2, \"train_fuser_on_dev\": true, \"fuser_sft_learning_rate\": 0.0002"), Limit),
            _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        var records = ReadJsonl(result.RunId, $"fuser_sft_agieval_tiny_{Models.Length}.jsonl");
        var dev = await DevAsync();
        Assert.Equal(dev.Count, records.Count);
        for (var k = 0; k < dev.Count; k++)
        {
            var (prompt, letter, text) = dev[k];
            var scores = Models.Select(m => ScriptedBackend.Letter(m, prompt) == letter ? 1.0 : 0.0).ToList();
            var top = Enumerable.Range(0, 3).OrderByDescending(i => scores[i]).Take(2).ToList();
            var candidates = top.Select(i => (Models[i], $"The answer is {ScriptedBackend.Letter(Models[i], prompt)}.")).ToList();
            Assert.Equal((MoCo.Orchestrator.Methods.Text.LlmBlender.FusionPrompt(prompt, candidates), text), records[k]);
            Assert.False(string.IsNullOrEmpty(text));
        }

        var job = Assert.Single(trainer.Jobs);
        Assert.Equal(("fuser", 2e-4, 3), (job.Job.BaseModel, job.Job.Hyper.LearningRate!.Value, job.Job.Hyper.Epochs!.Value));
        Assert.DoesNotContain("fuser", backend.Calls);
        Assert.Equal(Limit, backend.Calls.Count(m => m == job.Job.OutputId));
    }

    [Fact]
    public async Task A_second_run_of_the_same_job_reuses_the_trained_model_and_a_lost_model_is_trained_again_under_the_same_id()
    {
        var trainer = new ScriptedTrainer();
        var (engine, _) = await harness.EngineAsync(new TrainedBlenderBackend(trainer), inference: new InferenceService.InferenceServiceClient(trainer));
        var config = Config(", \"train_ranker_on_dev\": true");
        var first = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        var second = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal((RunState.Succeeded, RunState.Succeeded), (first.Status, second.Status));
        var job = Assert.Single(trainer.Jobs);
        Assert.Equal(harness.ReadRunLog(first.RunId)["logs"]!.ToJsonString(), harness.ReadRunLog(second.RunId)["logs"]!.ToJsonString());

        trainer.Forget();
        var third = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, third.Status);
        Assert.Equal(2, trainer.Jobs.Count);
        Assert.Equal(job.Job.OutputId, trainer.Jobs.Last().Job.OutputId);
    }

    [Fact]
    public async Task Another_ranker_setting_is_another_job_with_another_model()
    {
        var trainer = new ScriptedTrainer();
        var (engine, _) = await harness.EngineAsync(new TrainedBlenderBackend(trainer), inference: new InferenceService.InferenceServiceClient(trainer));
        await engine.StartAsync(harness.Start(Config(", \"train_ranker_on_dev\": true"), Limit), _ => { }, default);
        await engine.StartAsync(harness.Start(Config(", \"train_ranker_on_dev\": true, \"ranker_sft_gradient_accumulation_steps\": 4"), Limit), _ => { }, default);
        Assert.Equal(2, trainer.Jobs.Select(j => j.Job.OutputId).Distinct().Count());
        Assert.Equal([16, 4], trainer.Jobs.Select(j => j.Job.Hyper.GradAccum!.Value));
    }

    [Fact]
    public void The_fuser_gold_follows_the_task_type()
    {
        var item = new TaskItem(0, "0", "q", [], "B") { GoldText = "Paris" };
        Assert.Equal("Paris", MoCo.Orchestrator.Methods.Text.LlmBlenderTraining.Gold("multiple_choice", item));
        Assert.Equal("B", MoCo.Orchestrator.Methods.Text.LlmBlenderTraining.Gold("exact_match", item));
        Assert.Equal("first", MoCo.Orchestrator.Methods.Text.LlmBlenderTraining.Gold("f1_match", item with { Gold = "[\"first\", \"second\"]" }));
        Assert.Equal("plain", MoCo.Orchestrator.Methods.Text.LlmBlenderTraining.Gold("f1_match", item with { Gold = "plain" }));
        Assert.Null(MoCo.Orchestrator.Methods.Text.LlmBlenderTraining.Gold("code", item));
    }

    private List<(string Prompt, string Completion)> ReadJsonl(string runId, string name) =>
        [.. File.ReadAllLines(Path.Combine(harness.ArtifactsDirectory, runId, "text_llm_blender", name)).Select(l => JsonNode.Parse(l)!)
            .Select(n => ((string)n["prompt"]!, (string)n["completion"]!))];

    private async Task<List<(string Prompt, string Letter, string Text)>> DevAsync()
    {
        using var call = harness.Evaluator.LoadDataset(new LoadDatasetRequest { Task = "agieval_tiny", Split = Split.Dev, Limit = Limit, IncludeGold = true, TaskType = "multiple_choice" });
        var items = new List<(string, string, string)>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == LoadDatasetResponse.PayloadOneofCase.Item)
            {
                items.Add((message.Item.Prompt, message.Item.Gold.Choice.Letter, message.Item.Gold.Choice.Text));
            }
        }
        return items;
    }

    private static string Config(string extra) => EngineHarness.Config("text_llm_blender", string.Join(", ", Models.Select(m => $"\"{m}\"")),
        ", \"ranker_model_name\": \"judge\", \"fuser_model_name\": \"fuser\"" + extra);
}

/// <summary>A TEST DOUBLE of Generate for LLM-Blender with trained models: configured models as
/// <see cref="LlmBlenderBackend"/>; a model trained from "judge" always answers "A", one trained from "fuser" copies its
/// first candidate as "fuser" does. Every call's model is recorded.</summary>
internal sealed class TrainedBlenderBackend(ScriptedTrainer trainer) : IGenerationBackend
{
    private readonly LlmBlenderBackend _untrained = new();

    public System.Collections.Concurrent.ConcurrentBag<string> Calls { get; } = [];

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        Calls.Add(call.Model);
        return trainer.BaseOf(call.Model) switch
        {
            "judge" => Task.FromResult<IReadOnlyList<GeneratedSample>>([new GeneratedSample("A", "stop", new CallUsage(10, 1, TimeSpan.FromMilliseconds(1)))]),
            "fuser" => _untrained.GenerateAsync(call with { Model = "fuser" }, cancellationToken),
            _ => _untrained.GenerateAsync(call, cancellationToken),
        };
    }
}
