using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_bbmas (methods-text.md §5): the parses and the blackboard on hand-made text, and whole runs through the
/// real engine and evaluator with scripted agents that propose on an empty board and finalize otherwise.</summary>
public sealed class BbmasTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 4;
    private static readonly string[] Models = ["m-a", "m-b", "m-c"];

    [Fact]
    public void A_selection_names_exactly_one_action()
    {
        Assert.Equal("execute a solution step", Bbmas.Action("Analysis… I choose to execute a solution step."));
        Assert.Null(Bbmas.Action("I choose to propose a solving strategy, or to execute a solution step."));
        Assert.Null(Bbmas.Action("I choose to Execute a solution step."));
    }

    [Theory]
    [InlineData("… Conclusion #1 is wrong … Therefore, I vote for Conclusion #2.", false, 2)]
    [InlineData("… Conclusion #1 is wrong … Therefore, I vote for Conclusion #2.", true, 1)]
    [InlineData("I prefer conclusion # 3 over Conclusion #1", false, 1)]
    [InlineData("Therefore, I vote for Conclusion #0.", false, null)]
    [InlineData("no preference", true, null)]
    public void A_vote_reads_the_conclusion_number(string reply, bool reference, int? vote) => Assert.Equal(vote, Bbmas.Vote(reply, reference));

    [Fact]
    public void Votes_outside_the_range_are_dropped_and_equal_counts_go_to_the_first_voted()
    {
        Assert.Equal(2, Bbmas.Tally([2, 1, 2, 1], 2));
        Assert.Equal(1, Bbmas.Tally([3, 1, 1, 3, 3], 2));
        Assert.Equal(1, Bbmas.Tally([5, 7], 2));
    }

    [Fact]
    public void Conclusions_are_the_text_after_the_last_FINAL_else_every_entry_else_none()
    {
        Bbmas.Entry E(int id, string text) => new(id, 2, text);
        Assert.Equal(["x", "y"], Bbmas.Conclusions([E(0, "plan"), E(1, "FINAL: a FINAL:\n x "), E(2, " FINAL: y")]));
        Assert.Equal(["plan", "step"], Bbmas.Conclusions([E(0, " plan "), E(1, "step")]));
        Assert.Equal([Bbmas.NoConclusion], Bbmas.Conclusions([]));
        Assert.Equal("The blackboard is empty so far.", Bbmas.Board([]));
        var board = Bbmas.Board([new(0, 1, "p"), new(1, 1, "q"), new(2, 2, "r")]);
        Assert.True(board.IndexOf("At iteration 1", StringComparison.Ordinal) < board.IndexOf("- Entry #1:\nq", StringComparison.Ordinal));
        Assert.True(board.IndexOf("- Entry #1:\nq", StringComparison.Ordinal) < board.IndexOf("At iteration 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agents_propose_then_finalize_stop_and_vote_with_the_best_dev_model()
    {
        var backend = new BbmasBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(Config(stop: 2), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var accuracy = Models.Select(m => dev.Average(d => ScriptedBackend.Letter(m, d.Prompt) == d.Letter ? 1.0 : 0.0)).ToList();
        var best = Models[accuracy.IndexOf(accuracy.Max())];
        // Every agent call runs on the best dev model.
        Assert.All(backend.AgentCalls, m => Assert.Equal(best, m));

        var gold = await harness.GoldAsync(Split.Test, Limit);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "avg_test_score", "avg_llm_calls", "logs", "moco"], log.Select(p => p.Key).ToList());
        Assert.Equal("bbmas", (string)log["method"]!);
        // Per item: 2 agents × (select + execute) in each of 2 iterations, then 3 votes over the 2 final conclusions.
        Assert.Equal(11.0, (double)log["avg_llm_calls"]!);
        // The agents' calls count in phases of their own, so every generated token shows in a phase.
        var phases = (await store.GetPhasesAsync(result.RunId)).ToDictionary(p => p.Name);
        Assert.Equal((8 * Limit, 3 * Limit), (phases["test · act"].Done, phases["test · ballot"].Done));
        Assert.Equal((long)log["moco"]!["completion_tokens"]!, phases.Values.Sum(p => p.CompletionTokens));
        var items = (await store.GetItemsAsync(result.RunId, "test")).OrderBy(i => i.Index).ToList();
        var total = 0.0;
        for (var k = 0; k < Limit; k++)
        {
            var entry = log["logs"]![k]!.AsObject();
            Assert.Equal(["input", "output", "score", "num_llm_calls"], entry.Select(p => p.Key).ToList());
            Assert.Equal(11, (int)entry["num_llm_calls"]!);
            var letter = ScriptedBackend.Letter(best, gold[k].Prompt);
            var extras = JsonNode.Parse(items[k].ExtrasJson)!;
            var board = extras["blackboard"]!.AsArray();
            // The agents' drafts differ; every vote goes to conclusion 2, the last entry's text after "FINAL:".
            var second = (string)board[3]!["text"]!;
            Assert.Equal(second[(second.LastIndexOf("FINAL:", StringComparison.Ordinal) + 6)..].Trim(), (string)entry["output"]!);
            Assert.NotEqual((string)board[2]!["text"]!, second);
            Assert.StartsWith(BbmasBackend.Final(letter), (string)entry["output"]!);
            var score = letter == gold[k].Letter ? 1.0 : 0.0;
            Assert.Equal(score, (double)entry["score"]!);
            total += score;

            Assert.Equal("stop", (string)extras["terminated_by"]!);
            Assert.Equal([0, 1, 2, 3], board.Select(e => (int)e!["id"]!));
            Assert.Equal([1, 1, 2, 2], board.Select(e => (int)e!["iteration"]!));
            Assert.All(board.Take(2), e => Assert.StartsWith("I choose to propose a solving strategy.", (string)e!["text"]!));
            Assert.All(board.Skip(2), e => Assert.Contains(Bbmas.StopPhrase, (string)e!["text"]!));
        }
        Assert.Equal(total / Limit, result.Score!.Value, 9);
    }

    [Fact]
    public async Task Running_out_of_iterations_concludes_from_the_last_iteration_or_as_the_reference_with_nothing()
    {
        // Three stop requests needed, two agents act: the run can only end at max_iterations.
        var (engine, store) = await harness.EngineAsync(new BbmasBackend());
        var moco = await engine.StartAsync(harness.Start(Config(stop: 3), Limit), _ => { }, default);
        var start = harness.Start(Config(stop: 3), Limit);
        var reference = await engine.StartAsync(start with { Overrides = new RunOverrides { Limit = Limit, Compat = Compat.Reference } }, _ => { }, default);

        var mocoLogs = harness.ReadRunLog(moco.RunId)["logs"]!.AsArray();
        Assert.All(mocoLogs, e => Assert.StartsWith("The answer is", (string)e!["output"]!));
        Assert.All(await store.GetItemsAsync(moco.RunId, "test"), i => Assert.Equal("max_iterations", (string)JsonNode.Parse(i.ExtrasJson)!["terminated_by"]!));
        Assert.All(harness.ReadRunLog(reference.RunId)["logs"]!.AsArray(), e =>
        {
            Assert.Equal(Bbmas.NoConclusion, (string)e!["output"]!);
            Assert.Equal(0.0, (double)e["score"]!);
            // No vote over a single "No conclusion.": 8 action calls only.
            Assert.Equal(8, (int)e["num_llm_calls"]!);
        });
        Assert.Equal(0.0, reference.Score);
    }

    [Fact]
    public async Task Models_beside_the_config_reach_the_backend_as_directories_in_every_phase_baselines_included()
    {
        var configDir = Path.Combine(harness.Directory, "beside-" + Guid.NewGuid().ToString("N")[..6]);
        foreach (var name in Models)
        {
            Directory.CreateDirectory(Path.Combine(configDir, "models", name));
            File.WriteAllText(Path.Combine(configDir, "models", name, "config.json"), """{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}""");
        }
        var resolver = new MoCo.Models.Catalog.ModelResolver([], Path.Combine(configDir, "zoo"), huggingFaceCache: null);
        var backend = new BbmasBackend();
        await using var store = await SqliteRunStore.OpenAsync(Path.Combine(configDir, "runs.db"));
        var engine = new RunEngine(store, new RunServices(backend, new InferenceService.InferenceServiceClient(new LlmBlenderAlwaysA()), harness.Evaluator),
            new RunEnvironment([TestData.DataDir], resolver) { HeartbeatInterval = TimeSpan.FromMilliseconds(100) }, MethodRegistry.Default);
        var config = EngineHarness.Config("text_bbmas", string.Join(", ", Models.Select(m => $"\"models/{m}\"")),
            ", \"max_iterations\": 1, \"max_num_agents_to_act\": 1, \"max_num_retries\": 1");
        var result = await engine.StartAsync(harness.Start(config, 2) with { ConfigDirectory = configDir }, _ => { }, default);

        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.Equal(3, result.Baselines.Count);
        Assert.Equal(Models.Select(m => Path.GetFullPath(Path.Combine(configDir, "models", m))).Order(), backend.Models.Distinct().Order());
    }

    private static string Config(int stop) => EngineHarness.Config("text_bbmas", string.Join(", ", Models.Select(m => $"\"{m}\"")),
        $", \"max_iterations\": 2, \"max_num_agents_to_act\": 2, \"min_num_agents_to_stop\": {stop}, \"max_num_retries\": 2");

}

/// <summary>A TEST DOUBLE of Generate for BBMAS agents: on an empty blackboard an agent proposes a strategy, otherwise it
/// finalizes with the letter <see cref="ScriptedBackend.Letter"/> gives its model for the problem (each draft tagged by its call seed); every vote names
/// conclusion 1 in its reasoning and votes for conclusion 2. Plain task prompts (the dev pass) get
/// <see cref="ScriptedBackend"/>'s answer.</summary>
internal sealed class BbmasBackend : IGenerationBackend
{
    public ConcurrentBag<string> AgentCalls { get; } = [];

    public ConcurrentBag<string> Models { get; } = [];

    public static string Final(string letter) => $"The answer is {letter}.\n**Final Answer**: {letter}";

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        Models.Add(call.Model);
        var prompt = call.Prompt;
        var problemAt = prompt.IndexOf("<problem>\n\n", StringComparison.Ordinal);
        string text;
        if (problemAt < 0)
        {
            text = $"The answer is {ScriptedBackend.Letter(call.Model, prompt)}.";
        }
        else
        {
            AgentCalls.Add(call.Model);
            var start = problemAt + "<problem>\n\n".Length;
            var problem = prompt[start..prompt.IndexOf("\n\n</problem>", start, StringComparison.Ordinal)];
            var empty = prompt.Contains("The blackboard is empty so far.", StringComparison.Ordinal);
            text = prompt.Contains("Therefore, I vote for Conclusion #<k>", StringComparison.Ordinal) ? "Conclusion #1 is weaker. Therefore, I vote for Conclusion #2."
                : prompt.Contains("You chose to *terminate and finalize the solution*", StringComparison.Ordinal) ? $"FINAL:\n{Final(ScriptedBackend.Letter(call.Model, problem))}\n(draft {call.Seed % 100_000})"
                : prompt.Contains("You chose to *", StringComparison.Ordinal) ? "Plan: read the options, eliminate, decide."
                : empty ? "I choose to propose a solving strategy." : "I choose to terminate and finalize the solution.";
        }
        return Task.FromResult<IReadOnlyList<GeneratedSample>>([new GeneratedSample(text, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1)))]);
    }
}
