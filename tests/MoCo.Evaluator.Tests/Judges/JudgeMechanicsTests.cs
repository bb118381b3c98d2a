using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Service;
using MoCo.Evaluator.Tests.Support;
using DatasetItem = MoCo.Evaluator.Datasets.DatasetItem;

namespace MoCo.Evaluator.Tests.Judges;

/// <summary>evaluation.md §6 "Judges, reward, diversity" against the SUBSTITUTE inference service of the tests
/// (<see cref="FakeInference"/>): mechanics, not model quality.</summary>
public sealed class JudgeMechanicsTests : IAsyncLifetime
{
    private readonly FakeInference _fake = new();
    private WebApplication _app = null!;
    private EvaluatorRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        (_app, var address) = await FakeInference.ServeAsync(_fake);
        _runtime = Runtimes.Create(new GrpcInferenceBackend(address));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<ItemOutcome> Verify(DatasetItem item, string? output, JudgeModels? models = null, bool extracted = false)
    {
        var scorer = new GeneralVerifierScorer(Scorers.Settings(extracted: extracted), _runtime.Inference, _runtime.Judgements,
            models ?? JudgeModels.From(null), _runtime.Prompts, _runtime.Texts, 4);
        await scorer.PrepareAsync(CancellationToken.None);
        return await scorer.ScoreAsync(item, ModelOutput.Prepare(output, CompatMode.Moco).Text, CancellationToken.None);
    }

    private static string PromptOf(GenerateRequest request) =>
        request.Prompt.FormCase == Prompt.FormOneofCase.Text ? request.Prompt.Text : request.Prompt.Chat.Messages[0].Content;

    [Theory]
    [InlineData("The answers agree.\nFinal Decision: Yes", 1)]
    [InlineData("Final Decision: yes", 0)]
    [InlineData("Final Decision: No", 0)]
    [InlineData("", 0)]
    [InlineData("Final Decision: Yes … Final Decision: No", 1)]
    public async Task Verdicts(string judgeText, double score)
    {
        _fake.Models.Add(JudgeRole.Verifier.DefaultModel);
        _fake.OnGenerate = _ => judgeText;
        var outcome = await Verify(TestData.Inline("""{"input": "2+2?", "output": "4"}"""), $"\\boxed{{4}} {judgeText.Length}");
        Assert.Equal(score, outcome.Score);
        Assert.Equal(judgeText, outcome.Detail!.JudgeText);
        Assert.Empty(outcome.Flags);
        var request = Assert.Single(_fake.Generated);
        Assert.Equal((Prompt.FormOneofCase.Text, 0f, 1024), (request.Prompt.FormCase, request.Sampling.Temperature!.Value, request.Sampling.MaxNewTokens!.Value));
        Assert.Equal(JudgeRole.Verifier.DefaultModel, Assert.Single(_fake.ModelHeaders));
    }

    [Fact]
    public async Task The_judge_sees_question_ground_truth_and_the_extracted_answer()
    {
        _fake.Models.Add(JudgeRole.Verifier.DefaultModel);
        _fake.OnGenerate = _ => "Final Decision: Yes";
        await Verify(TestData.Inline("""{"input": "What is {question}?", "output": "4"}"""), "   ");
        await Verify(TestData.Inline("""{"question": "Which organelle?", "choices": {"A": "Mitochondria", "B": "Ribosome"}, "answer": "B"}""", 1),
            "It is \\boxed{B}");
        await Verify(TestData.Inline("""{"prompt": "p", "answer": ["x", "y"]}""", 2), "x");
        var prompts = _fake.Generated.Select(PromptOf).ToList();
        Assert.Contains("### Question: What is {question}?", prompts[0]);
        Assert.Contains("### Student Answer: " + GeneralVerifierScorer.NoAnswer, prompts[0]);
        Assert.Contains("### Ground Truth Answer: Ribosome", prompts[1]);
        Assert.Contains("A) Mitochondria\nB) Ribosome\n", prompts[1]);
        Assert.Contains("### Student Answer: B\n", prompts[1]);
        Assert.Contains("### Ground Truth Answer: x, y", prompts[2]);
        Assert.StartsWith("User: ", prompts[0]);
        Assert.EndsWith("Assistant:", prompts[0]);
    }

    [Fact]
    public async Task A_substituted_verifier_gets_a_chat_prompt_and_the_flag()
    {
        _fake.Models.Add("tiny-judge");
        _fake.OnGenerate = _ => "Final Decision: Yes";
        var outcome = await Verify(TestData.Inline("""{"input": "q", "output": "4"}"""), "4", new JudgeModels("tiny-judge", "rm", false, "enc"));
        Assert.Equal(1.0, outcome.Score);
        Assert.Contains(ItemFlags.JudgeSubstituted, outcome.Flags);
        var request = Assert.Single(_fake.Generated);
        Assert.Equal("user", request.Prompt.Chat.Messages.Single().Role);
    }

    [Fact]
    public async Task Judgements_are_cached_per_item_output_and_judge()
    {
        _fake.Models.Add(JudgeRole.Verifier.DefaultModel);
        _fake.OnGenerate = _ => "Final Decision: Yes";
        var item = TestData.Inline("""{"input": "q", "output": "4"}""");
        await Verify(item, "4");
        await Verify(item, "4");
        await Verify(item, "5");
        await Verify(TestData.Inline("""{"input": "q", "output": "4"}""", 1), "4");
        Assert.Equal(3, _fake.Generated.Count);
    }

    [Fact]
    public async Task An_inference_service_that_cannot_generate_yet_makes_item_errors_naming_the_model()
    {
        _fake.Models.Add(JudgeRole.Verifier.DefaultModel);
        var scorer = new GeneralVerifierScorer(Scorers.Settings(), _runtime.Inference, _runtime.Judgements, JudgeModels.From(null),
            _runtime.Prompts, _runtime.Texts, 4);
        await scorer.PrepareAsync(CancellationToken.None);
        var first = await scorer.ScoreAsync(TestData.Inline("""{"input": "q", "output": "4"}"""), "4", CancellationToken.None);
        var second = await scorer.ScoreAsync(TestData.Inline("""{"input": "q", "output": "4"}""", 1), "4", CancellationToken.None);
        foreach (var outcome in new[] { first, second })
        {
            Assert.Null(outcome.Score);
            Assert.Equal((int)StatusCode.FailedPrecondition, outcome.Error!.Code);
            Assert.Contains("TIGER-Lab/general-verifier", outcome.Error.Message);
            Assert.Contains("evaluation.verifier.model", outcome.Error.Message);
            Assert.Contains("Generate", outcome.Error.Message);
        }
        Assert.Single(_fake.Generated);
    }

    [Fact]
    public async Task A_missing_model_fails_the_call_before_any_item()
    {
        var scorer = new RewardModelScorer(Scorers.Settings(), _runtime.Inference, _runtime.Judgements, JudgeModels.From(null), _runtime.Texts, 4);
        var e = await Assert.ThrowsAsync<EvaluatorException>(() => scorer.PrepareAsync(CancellationToken.None));
        Assert.Equal((StatusCode.FailedPrecondition, Reasons.JudgeMissing), (e.Code, e.Problems[0].Reason));
        Assert.Contains("evaluation.reward_model.model", e.Message);
        Assert.Contains(JudgeRole.RewardModel.DefaultModel, e.Message);
    }

    [Fact]
    public async Task Reward_logits_over_long_conversations_and_generative_ratings()
    {
        _fake.Models.UnionWith([JudgeRole.RewardModel.DefaultModel, "rater"]);
        _fake.OnScore = r => r.Prompt.Chat.Messages[1].Content.Length > 20
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, "conversation of 9000 tokens exceeds the context of 8192"))
            : new ScoreResponse { Values = { r.Prompt.Chat.Messages[1].Content == "good" ? 2.5f : -1.0f } };
        var scorer = new RewardModelScorer(Scorers.Settings(), _runtime.Inference, _runtime.Judgements, JudgeModels.From(null), _runtime.Texts, 4);
        await scorer.PrepareAsync(CancellationToken.None);
        var good = await scorer.ScoreAsync(TestData.Inline("""{"input": "hi"}"""), "good", CancellationToken.None);
        var bad = await scorer.ScoreAsync(TestData.Inline("""{"input": "hi"}""", 1), "bad", CancellationToken.None);
        var tooLong = await scorer.ScoreAsync(TestData.Inline("""{"input": "hi"}""", 2), new string('x', 50), CancellationToken.None);
        Assert.Equal((2.5, -1.0), (good.Score!.Value, bad.Score!.Value));
        Assert.Equal(2.5, good.Detail!.RewardLogit);
        Assert.Equal((int)StatusCode.InvalidArgument, tooLong.Error!.Code);
        var request = _fake.Scored.First();
        Assert.Equal((ScoreMode.Classification, false), (request.Mode, request.Prompt.Chat.AddGenerationPrompt));
        Assert.Equal(["user", "assistant"], request.Prompt.Chat.Messages.Select(m => m.Role));

        _fake.OnGenerate = r => r.Prompt.Chat.Messages[0].Content.Contains("nonsense") ? "no idea" : "Fine answer.\nRating: 3\nRating: 7";
        var judge = new RewardModelScorer(Scorers.Settings(), _runtime.Inference, _runtime.Judgements, new JudgeModels("v", "rater", true, "e"), _runtime.Texts, 4);
        await judge.PrepareAsync(CancellationToken.None);
        var rated = await judge.ScoreAsync(TestData.Inline("""{"input": "hi"}"""), "good", CancellationToken.None);
        Assert.Equal(7.0, rated.Score);
        Assert.Contains(ItemFlags.RewardJudgeGenerative, rated.Flags);
        var unparseable = await judge.ScoreAsync(TestData.Inline("""{"input": "hi"}""", 1), "nonsense", CancellationToken.None);
        Assert.Null(unparseable.Score);
        Assert.Contains("Rating", unparseable.Error!.Message);
    }

    [Fact]
    public async Task Diversity_is_one_minus_the_mean_cosine_to_the_references()
    {
        _fake.Models.Add(JudgeRole.Encoder.DefaultModel);
        var vectors = new Dictionary<string, float[]>
        {
            ["o"] = [1, 0], ["r1"] = [1, 0], ["r2"] = [0, 1], ["r3"] = [-1, 0], ["p"] = [1, 1],
        };
        _fake.OnEmbed = r => new EmbedResponse { Dim = 2, Vectors = { r.Texts.Select(t => new EmbeddingVector { Values = { vectors[t] } }) } };
        var scorer = new GenerationDiversityScorer(Scorers.Settings(), _runtime.Inference, _runtime.Judgements, JudgeModels.From(null), 4);
        await scorer.PrepareAsync(CancellationToken.None);
        var a = await scorer.ScoreAsync(TestData.Inline("""{"input": "x", "reference": ["r1", "r2", "r3"]}"""), "o", CancellationToken.None);
        var b = await scorer.ScoreAsync(TestData.Inline("""{"input": "x", "reference": ["r1", "r2"]}""", 1), "p", CancellationToken.None);
        Assert.Equal(1.0, a.Score!.Value, 6);
        Assert.Equal(0.292893, b.Score!.Value, 6);
        var request = _fake.Embedded.First();
        Assert.Equal((Pooling.MeanPadded, 512, 512), (request.Pooling, request.PadTo!.Value, request.MaxTokens!.Value));
        Assert.Empty(a.Flags);
    }
}
