using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Models.Catalog;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_llm_blender (methods-text.md §3): the pair rules, and whole runs through the real engine and evaluator
/// with scripted candidates, a scripted judge (generated replies or Score log-probs) and a fuser that copies the
/// candidate ranked first, so the rule fixes every output.</summary>
public sealed class LlmBlenderTests(EngineHarness harness) : IClassFixture<EngineHarness>, IDisposable
{
    private const int Limit = 5;
    private static readonly string[] Models = ["m-a", "m-b", "m-c"];
    private readonly string _root = Directory.CreateTempSubdirectory("moco-blender-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Every_pair_is_judged_once_with_the_lower_index_as_A_and_wins_sum_to_the_pair_count()
    {
        Assert.Equal([(0, 1), (0, 2), (1, 2)], LlmBlender.Pairs(3));
        Assert.Empty(LlmBlender.Pairs(1));
        Assert.Equal([1.5, 0.0, 1.5], LlmBlender.Wins(3, [LlmBlender.Verdict.A, LlmBlender.Verdict.None, LlmBlender.Verdict.B]));
        Assert.Equal([0, 2], LlmBlender.TopK([1.5, 0.0, 1.5], 2));
        Assert.Equal([2, 0, 1, 3], LlmBlender.TopK([1.0, 1.0, 2.0, 0.0], 4));
    }

    [Theory]
    [InlineData("A", LlmBlender.Verdict.A)]
    [InlineData("  b.", LlmBlender.Verdict.B)]
    [InlineData("Both are good", LlmBlender.Verdict.B)]
    [InlineData("The better one is A", LlmBlender.Verdict.B)]
    [InlineData("Candidate A", LlmBlender.Verdict.A)]
    [InlineData("?", LlmBlender.Verdict.None)]
    [InlineData("", LlmBlender.Verdict.None)]
    public void The_reply_reads_as_its_first_A_or_B(string reply, LlmBlender.Verdict verdict) => Assert.Equal(verdict, LlmBlender.Parse(reply));

    [Fact]
    public async Task The_ranker_orders_the_candidates_and_the_fuser_gets_the_top_k_best_first()
    {
        var backend = new LlmBlenderBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(Config(", \"top_k\": 2"), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        // n answers + n(n−1)/2 judgements + 1 fusion per item.
        Assert.Equal(Limit * (3 + 3 + 1), backend.Calls.Count);
        Assert.Equal(Limit * 3, backend.Calls.Count(m => m == "judge"));
        Assert.Equal(Limit, backend.Calls.Count(m => m == "fuser"));

        var gold = await harness.GoldAsync(Split.Test, Limit);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        var entries = log["logs"]!.AsArray();
        var items = (await store.GetItemsAsync(result.RunId, "test")).OrderBy(i => i.Index).ToList();
        var total = 0.0;
        for (var k = 0; k < Limit; k++)
        {
            var entry = entries[k]!.AsObject();
            Assert.Equal(["input", "candidate_answers", "ranker_scores", "top_k_model_indices", "output", "score"], entry.Select(p => p.Key).ToList());
            var candidates = Models.Select(m => $"The answer is {ScriptedBackend.Letter(m, gold[k].Prompt)}.").ToList();
            Assert.Equal(candidates, entry["candidate_answers"]!.AsArray().Select(c => (string)c!));

            // Independent tally of the judge's scripted replies.
            var wins = new double[3];
            foreach (var (i, j) in new[] { (0, 1), (0, 2), (1, 2) })
            {
                switch (LlmBlenderBackend.Choice(LlmBlender.PairPrompt(gold[k].Prompt, candidates[i], candidates[j])))
                {
                    case 0: wins[i] += 1; break;
                    case 1: wins[j] += 1; break;
                    default: wins[i] += 0.5; wins[j] += 0.5; break;
                }
            }
            var scores = entry["ranker_scores"]!.AsArray().Select(s => (double)s!).ToList();
            Assert.Equal(wins, scores);
            Assert.Equal(3.0, scores.Sum());
            var top = entry["top_k_model_indices"]!.AsArray().Select(t => (int)t!).ToList();
            Assert.Equal(Enumerable.Range(0, 3).OrderByDescending(i => wins[i]).Take(2), top);

            // The fuser copies its first candidate: the output is the top-ranked model's answer.
            Assert.Equal(candidates[top[0]], (string)entry["output"]!);
            var score = ScriptedBackend.Letter(Models[top[0]], gold[k].Prompt) == gold[k].Letter ? 1.0 : 0.0;
            Assert.Equal(score, (double)entry["score"]!);
            total += score;

            var prompt = (string)JsonNode.Parse(items[k].ExtrasJson)!["fusion_prompt"]!;
            var first = prompt.IndexOf($"Candidate 1 (from model {Models[top[0]]}):\n{candidates[top[0]]}", StringComparison.Ordinal);
            var second = prompt.IndexOf($"Candidate 2 (from model {Models[top[1]]}):\n{candidates[top[1]]}", StringComparison.Ordinal);
            Assert.True(first >= 0 && second > first, prompt);
            Assert.DoesNotContain("Candidate 3", prompt, StringComparison.Ordinal);
        }
        Assert.Equal(total / Limit, result.Score!.Value, 9);
        foreach (var model in Models)
        {
            Assert.Equal(gold.Average(g => ScriptedBackend.Letter(model, g.Prompt) == g.Letter ? 1.0 : 0.0), result.Baselines.Single(b => b.Model == model).Test, 9);
        }
    }

    [Fact]
    public async Task A_logprob_ranker_that_always_prefers_A_gives_wins_2_1_0()
    {
        var backend = new LlmBlenderBackend();
        var scorer = new LlmBlenderAlwaysA();
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(scorer));
        var result = await engine.StartAsync(harness.Start(Config(", \"top_k\": 2, \"ranker_decision\": \"logprob\""), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.DoesNotContain("judge", backend.Calls);
        // One Score per continuation ("A", "B") per pair, all on the ranker.
        Assert.Equal(Limit * 3 * 2, scorer.Requests.Count);
        Assert.All(scorer.Requests, r => Assert.Equal("judge", r.Model));
        Assert.All(harness.ReadRunLog(result.RunId)["logs"]!.AsArray(), e =>
        {
            Assert.Equal([2.0, 1.0, 0.0], e!["ranker_scores"]!.AsArray().Select(s => (double)s!));
            Assert.Equal([0, 1], e["top_k_model_indices"]!.AsArray().Select(t => (int)t!));
        });
    }

    [Fact]
    public async Task A_pair_too_long_for_the_ranker_counts_as_no_verdict_and_the_run_goes_on()
    {
        var gold = await harness.GoldAsync(Split.Test, Limit);
        var scorer = new LlmBlenderAlwaysA { TooLongIfContains = gold[0].Prompt };
        var (engine, _) = await harness.EngineAsync(new LlmBlenderBackend(), inference: new InferenceService.InferenceServiceClient(scorer));
        var events = new ConcurrentQueue<RunEvent>();
        var result = await engine.StartAsync(harness.Start(Config(", \"ranker_decision\": \"logprob\""), Limit), events.Enqueue, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        var entries = harness.ReadRunLog(result.RunId)["logs"]!.AsArray();
        Assert.Equal([1.0, 1.0, 1.0], entries[0]!["ranker_scores"]!.AsArray().Select(s => (double)s!));
        Assert.All(entries.Skip(1), e => Assert.Equal([2.0, 1.0, 0.0], e!["ranker_scores"]!.AsArray().Select(s => (double)s!)));
        Assert.Contains(events, e => e.Warning?.Message.StartsWith("3 of 15 ranker comparisons do not fit judge's context", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task One_model_needs_no_ranker_and_top_k_is_clamped_to_it()
    {
        var backend = new LlmBlenderBackend();
        var (engine, _) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("text_llm_blender", "\"m-a\"",
            ", \"top_k\": 3, \"ranker_model_name\": \"judge\", \"fuser_model_name\": \"fuser\""), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        Assert.DoesNotContain("judge", backend.Calls);
        Assert.All(harness.ReadRunLog(result.RunId)["logs"]!.AsArray(), e =>
        {
            Assert.Equal([0.0], e!["ranker_scores"]!.AsArray().Select(s => (double)s!));
            Assert.Equal([0], e["top_k_model_indices"]!.AsArray().Select(t => (int)t!));
        });
    }

    [Fact]
    public void The_default_ranker_must_resolve_and_a_ranker_beside_the_config_is_sent_as_its_directory()
    {
        var configDir = Path.Combine(_root, "experiment");
        foreach (var name in new[] { "a", "b", "judge" })
        {
            var dir = Path.Combine(configDir, "models", name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}""");
        }
        var resolver = new ModelResolver([], Path.Combine(_root, "zoo"), huggingFaceCache: null);
        var options = TestData.Options() with { Models = resolver, ConfigDirectory = configDir };
        var validator = new ConfigValidator(MethodRegistry.Default);
        var text = (string extra) => $$$"""
            {"method": "text_llm_blender", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": ["models/a", "models/b"], "hyperparameters": {"max_response_length": 8{{{extra}}}}}
            """;

        var missing = validator.Validate(text(""), "c.json", options);
        Assert.Null(missing.Config);
        var problem = Assert.Single(missing.Errors);
        Assert.Equal((ConfigCodes.Model, "hyperparameters.ranker_model_name"), (problem.Code, problem.Path));
        Assert.Contains("Qwen/Qwen2.5-7B-Instruct", problem.Message, StringComparison.Ordinal);

        var config = validator.Validate(text(", \"ranker_model_name\": \"models/judge\""), "c.json", options).Config!;
        var addresses = ModelAddresses.For(config, resolver, MethodRegistry.Default.Find("text_llm_blender"));
        Assert.Equal(Path.GetFullPath(Path.Combine(configDir, "models", "judge")), addresses.Of("models/judge"));
        Assert.Equal(Path.GetFullPath(Path.Combine(configDir, "models", "a")), addresses.Of("models/a"));
    }

    private static string Config(string extra) => EngineHarness.Config("text_llm_blender", string.Join(", ", Models.Select(m => $"\"{m}\"")),
        ", \"ranker_model_name\": \"judge\", \"fuser_model_name\": \"fuser\"" + extra);

}

/// <summary>A TEST DOUBLE of Generate for LLM-Blender: candidate models answer as <see cref="ScriptedBackend"/>; "judge"
/// replies "A", "Both are fine." (reads B) or "?" (no verdict) by a hash of the pair prompt; "fuser" copies the text
/// of the candidate its prompt ranks first.</summary>
internal sealed class LlmBlenderBackend : IGenerationBackend
{
    private static readonly string[] Replies = ["A", "Both are fine.", "?"];

    public ConcurrentBag<string> Calls { get; } = [];

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        Calls.Add(call.Model);
        var text = call.Model switch
        {
            "judge" => Replies[Choice(call.Prompt)],
            "fuser" => FirstCandidate(call.Prompt),
            _ => $"The answer is {ScriptedBackend.Letter(call.Model, call.Prompt)}.",
        };
        return Task.FromResult<IReadOnlyList<GeneratedSample>>([new GeneratedSample(text, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1)))]);
    }

    /// <summary>0 = A, 1 = B, 2 = no verdict.</summary>
    public static int Choice(string pairPrompt) => SHA256.HashData(Encoding.UTF8.GetBytes(pairPrompt))[0] % 3;

    private static string FirstCandidate(string prompt)
    {
        var header = prompt.IndexOf("Candidate 1 (from model ", StringComparison.Ordinal);
        var start = prompt.IndexOf('\n', header) + 1;
        return prompt[start..prompt.IndexOf("\n\n", start, StringComparison.Ordinal)];
    }
}

/// <summary>A TEST DOUBLE of the inference Score RPC: a ranker that always prefers "A" (log P("A") = −0.1, anything
/// else −2.3), recording every request.</summary>
internal sealed class LlmBlenderAlwaysA : MoCo.Orchestrator.Tests.Methods.RefusingCallInvoker
{
    public ConcurrentQueue<Contracts.V1.ScoreRequest> Requests { get; } = new();

    /// <summary>Pair prompts containing this text are "too long for the context" (INVALID_ARGUMENT, PROMPT_TOO_LONG).</summary>
    public string? TooLongIfContains { get; init; }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        if (request is not Contracts.V1.ScoreRequest score)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName));
        }
        Requests.Enqueue(score);
        if (TooLongIfContains is { } marker && score.Prompt.Chat.Messages[0].Content.Contains(marker, StringComparison.Ordinal))
        {
            throw MocoErrors.Create(StatusCode.InvalidArgument, "the prompt does not fit", new Problem("prompt", "PROMPT_TOO_LONG", "too long"));
        }
        var logprob = score.Continuation.Text == "A" ? -0.1f : -2.3f;
        var response = new ScoreResponse { SumLogprob = logprob, Usage = new Usage { PromptTokens = 10, CompletionTokens = 1 } };
        response.Logprobs.Add(logprob);
        response.MaxLogprobs.Add(-0.1f);
        return new AsyncUnaryCall<TResponse>(Task.FromResult((TResponse)(object)response), Task.FromResult(new Metadata()), () => Status.DefaultSuccess,
            () => [], () => { });
    }
}
