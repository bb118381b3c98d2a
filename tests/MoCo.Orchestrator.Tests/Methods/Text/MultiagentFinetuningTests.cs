using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_multiagent_finetuning (methods-text.md §11): consensus and datasets on hand-made debates (Acceptance a),
/// and whole runs through the real engine and evaluator with scripted models and a scripted Train (Acceptance b; a second
/// iteration trains the trained copies; no iteration; one round; kill and resume).</summary>
public sealed class MultiagentFinetuningTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 40;
    private static readonly string[] Models = ["m-a", "m-b", "m-c"];

    [Fact]
    public void The_consensus_labels_first_and_final_answers_into_generation_and_critic_data()
    {
        string[] first = ["The answer is A. (0)", "The answer is B. (1)", "The answer is A. (2)"];
        string[] last = [" The answer is A. (x) ", "The answer is A. (x)", "The answer is B. (z)"];
        var debate = new Debate([[[first[0]], [first[1]], [first[2]]], [[last[0]], [last[1]], [last[2]]]], [[["A"], ["B"], ["A"]], [["A"], ["A"], ["B"]]]);
        Assert.Equal([("A", "The answer is A. (x)")], MultiagentFinetuning.Consensus(debate));

        var data = MultiagentFinetuning.Datasets(["Q?"], debate, 0.5, () => SeededRng.For(0, "t"));
        Assert.Equal([new SftExample("Q?", first[0])], data[0].Generation);
        Assert.Empty(data[1].Generation);
        Assert.Equal([new SftExample("Q?", first[2])], data[2].Generation);
        // Debater 0 stayed with the consensus (DC+), debater 1 switched to it (DC−, k− = max(1, ⌊1·0.5⌋) = 1), debater 2 left it.
        Assert.Equal([new SftExample("Question: Q?\nRound 0: The answer is A. (0)\nRound 1: The answer is A. (x)\nPlease provide a refined and correct answer to the question.",
            "The answer is A. (x)")], data[0].Critic);
        Assert.Equal("Question: Q?\nRound 0: The answer is B. (1)\nRound 1: The answer is A. (x)\nPlease provide a refined and correct answer to the question.",
            Assert.Single(data[1].Critic).Prompt);
        Assert.Empty(data[2].Critic);

        Assert.Equal("A", MultiagentFinetuning.Majority(["A", "B", null]));
        Assert.Equal("A", MultiagentFinetuning.Majority(["B", " A ", null, "A"]));
        Assert.Equal("A", MultiagentFinetuning.Majority(["B", "A"]));
        Assert.Equal("", MultiagentFinetuning.Majority([null, null]));
    }

    [Fact]
    public void The_weight_w_splits_the_critic_data_between_switched_and_stayed_examples()
    {
        // Four items: debater 0 switches on items 0–2 and stays on item 3.
        var debate = new Debate(
            [[["a0", "a1", "a2", "a3"], ["x", "x", "x", "x"], ["x", "x", "x", "x"]], [["f", "f", "f", "f"], ["f", "f", "f", "f"], ["f", "f", "f", "f"]]],
            [[["B", "B", "B", "A"], ["A", "A", "A", "A"], ["A", "A", "A", "A"]], [["A", "A", "A", "A"], ["A", "A", "A", "A"], ["A", "A", "A", "A"]]]);
        string[] questions = ["q0", "q1", "q2", "q3"];
        int Minus(double w) => MultiagentFinetuning.Datasets(questions, debate, w, () => SeededRng.For(0, "t"))[0].Critic.Count(e => !e.Prompt.Contains("a3", StringComparison.Ordinal));
        int Plus(double w) => MultiagentFinetuning.Datasets(questions, debate, w, () => SeededRng.For(0, "t"))[0].Critic.Count(e => e.Prompt.Contains("a3", StringComparison.Ordinal));
        Assert.Equal((1, 1), (Minus(0.5), Plus(0.5)));
        Assert.Equal((3, 0), (Minus(1.0), Plus(1.0)));
        Assert.Equal((0, 1), (Minus(0.0), Plus(0.0)));
        Assert.Equal((2, 1), (Minus(0.9), Plus(0.9)));
    }

    [Fact]
    public void The_critic_prompt_summarises_the_others_and_the_dev_subset_is_drawn_sorted()
    {
        Assert.Equal("Question: Q\nSummary of other assistants' answers:\nfirst\n\nsecond\nYour previous answer:  mine \nPlease provide a refined and correct answer to the question.",
            MultiagentFinetuning.CriticPrompt("Q", [" first ", "  ", "second"], " mine "));
        var subset = MultiagentFinetuning.Subset(40, 0.1, SeededRng.For(42, "t"));
        Assert.Equal(4, subset.Count);
        Assert.Equal(subset.Order(), subset);
        Assert.Equal(4, subset.Distinct().Count());
        Assert.Equal([0, 1, 2], MultiagentFinetuning.Subset(3, 1.0, SeededRng.For(42, "t")));
        Assert.Single(MultiagentFinetuning.Subset(3, 0.1, SeededRng.For(42, "t")));
        Assert.Equal("{\"prompt\": \"caf\\u00e9\\n\", \"completion\": \"B\"}", MultiagentFinetuning.JsonLine(new SftExample("café\n", "B")));
    }

    [Fact]
    public async Task Generation_data_agrees_with_the_recorded_consensus_and_the_trained_copies_debate_the_test()
    {
        var (result, backend, trainer) = await RunAsync(", \"training_ratio\": 0.1");
        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var test = await harness.GoldAsync(Split.Test, Limit);
        var calls = backend.Calls.ToList();
        // A model's answer to a prompt (the scripted answer depends on both only, so a baseline call repeats it).
        string Answer(string model, string prompt) => calls.First(c => c.Model == model && c.Prompt == prompt).Response;

        // The four debated dev items: those the base generators answered.
        var debated = dev.Where(d => calls.Any(c => c.Prompt == d.Prompt)).Select(d => d.Prompt).ToList();
        Assert.Equal(4, debated.Count);
        var generationFiles = Models.Select((_, n) => ReadJsonl(result.RunId, $"iteration_1/gen_data_agent_{n}.jsonl")).ToList();
        var criticFiles = Models.Select((_, n) => ReadJsonl(result.RunId, $"iteration_1/critic_data_agent_{n}.jsonl")).ToList();
        foreach (var q in debated)
        {
            var firsts = Models.Select(m => Answer(m, q)).ToList();
            var finals = Models.Select((m, n) => Answer(m, MultiagentFinetuning.CriticPrompt(q, Models.Where((_, k) => k != n).Select(o => Answer(o, q)), firsts[n]))).ToList();
            var consensus = MultiagentFinetuning.Majority(finals.Select(TeamScenario.Letter));
            for (var n = 0; n < Models.Length; n++)
            {
                var expected = TeamScenario.Letter(firsts[n]) == consensus ? new[] { (q, firsts[n]) } : [];
                Assert.Equal(expected, generationFiles[n].Where(e => e.Prompt == q));
            }
        }
        Assert.All(generationFiles.SelectMany(f => f), e => Assert.Contains(e.Prompt, debated));
        Assert.Contains(generationFiles, f => f.Count > 0);

        // Jobs: one per non-empty file, SFT with the configured settings, on exactly that file's records.
        var jobs = trainer.Jobs.ToList();
        Assert.Equal(generationFiles.Count(f => f.Count > 0) + criticFiles.Count(f => f.Count > 0), jobs.Count);
        Assert.All(jobs, j => Assert.Equal((TrainKind.Sft, 1e-5, 1, 16), (j.Job.Kind, j.Job.Hyper.LearningRate!.Value, j.Job.Hyper.Epochs!.Value, j.Job.Hyper.GradAccum!.Value)));
        string? Trained(string model, IReadOnlyList<(string Prompt, string Completion)> file) => file.Count == 0 ? null
            : jobs.Single(j => j.Job.BaseModel == model && j.Examples.Select(e => (Assert.Single(e.Prompt.Chat.Messages).Content, e.Completion.Text)).SequenceEqual(file))
                .Job.OutputId;

        // The test debate: generators (trained or original) on the items, critics on the summary prompts; output = the vote.
        var generators = Models.Select((m, n) => Trained(m, generationFiles[n]) ?? m).ToList();
        var critics = Models.Select((m, n) => Trained(m, criticFiles[n]) ?? m).ToList();
        var outputs = new List<string>();
        foreach (var (q, _) in test)
        {
            var firsts = generators.Select(g => Answer(g, q)).ToList();
            var finals = critics.Select((c, n) => Answer(c, MultiagentFinetuning.CriticPrompt(q, firsts.Where((_, k) => k != n), firsts[n]))).ToList();
            outputs.Add(MultiagentFinetuning.Majority(finals.Select(TeamScenario.Letter)));
        }
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(outputs, log["logs"]!.AsArray().Select(e => (string)e!["output"]!));
        Assert.Equal(test.Select((t, k) => outputs[k] == t.Letter ? 1.0 : 0.0), log["logs"]!.AsArray().Select(e => (double)e!["score"]!));
        Assert.Equal("multiagent_finetuning", (string)log["method"]!);
    }

    [Fact]
    public async Task A_second_iteration_trains_the_trained_copies_and_no_iteration_debates_untrained()
    {
        var (_, _, trainer) = await RunAsync(", \"training_ratio\": 0.1, \"iterations\": 2");
        var jobs = trainer.Jobs.ToList();
        var firstIds = jobs.Where(j => Models.Contains(j.Job.BaseModel)).Select(j => j.Job.OutputId).ToHashSet();
        Assert.NotEmpty(firstIds);
        Assert.Contains(jobs, j => firstIds.Contains(j.Job.BaseModel));
        Assert.All(jobs, j => Assert.True(Models.Contains(j.Job.BaseModel) || firstIds.Contains(j.Job.BaseModel), j.Job.BaseModel));

        var (plain, backend, untouched) = await RunAsync(", \"iterations\": 0");
        Assert.Empty(untouched.Jobs);
        Assert.All(backend.Calls, c => Assert.Contains(c.Model, Models));
        Assert.Equal(Models.Length * Limit, backend.Calls.Count(c => c.Prompt.StartsWith("Question: ", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Path.Combine(harness.ArtifactsDirectory, plain.RunId, "text_multiagent_finetuning")));
    }

    [Fact]
    public async Task With_one_round_the_critics_are_not_trained()
    {
        var (result, _, trainer) = await RunAsync(", \"training_ratio\": 0.1, \"rounds\": 1");
        Assert.NotEmpty(trainer.Jobs);
        var generation = Models.Select((_, n) => ReadJsonl(result.RunId, $"iteration_1/gen_data_agent_{n}.jsonl")).Where(f => f.Count > 0).ToList();
        Assert.Equal(generation.Count, trainer.Jobs.Count);
    }

    [Fact]
    public async Task A_killed_run_resumes_without_repeating_a_call_and_ends_as_an_uninterrupted_run()
    {
        var config = Config(", \"training_ratio\": 0.1");
        var (clean, _, _) = await RunAsync(", \"training_ratio\": 0.1");
        var trainer = new ScriptedTrainer();
        var backend = new SpartaBackend { CancelAfter = 30 };
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

    private async Task<(RunResult Result, SpartaBackend Backend, ScriptedTrainer Trainer)> RunAsync(string extra)
    {
        var trainer = new ScriptedTrainer();
        var backend = new SpartaBackend();
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(Config(extra), Limit), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);
        return (result, backend, trainer);
    }

    private static string Config(string extra) => EngineHarness.Config("text_multiagent_finetuning", string.Join(", ", Models.Select(m => $"\"{m}\"")), extra);

    private List<(string Prompt, string Completion)> ReadJsonl(string runId, string relative) =>
        [.. File.ReadAllLines(Path.Combine(harness.ArtifactsDirectory, runId, "text_multiagent_finetuning", "model_collaboration", "logs", "multiagent_finetuning", relative))
            .Select(l => JsonNode.Parse(l)!).Select(n => ((string)n["prompt"]!, (string)n["completion"]!))];
}
