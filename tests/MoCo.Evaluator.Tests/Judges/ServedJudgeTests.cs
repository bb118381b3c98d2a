using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Tests.Support;
using MoCo.Hosting.Errors;
using MoCo.Testing.Inference;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;

namespace MoCo.Evaluator.Tests.Judges;

/// <summary>
/// general_verifier and reward_model end to end on real dataset items, judged by SUBSTITUTE models that really run:
/// the tiny golden models served by the real inference service in-process (<see cref="ServedModels"/>). Mechanics,
/// not quality — a random 2-layer model answers junk — so the tests pin what the spec fixes: the judge's exact
/// prompt (read on the inference side), the verdict and rating rules applied to what the model really generated,
/// reward values equal to the engine's head value computed directly, the substitution flags, caching, and errors.
/// </summary>
public sealed class ServedJudgeTests(ServedModels served) : IClassFixture<ServedModels>
{
    // verifier_prompt.txt as evaluation.md §3.1 describes it; written out here so a change of the wording shows.
    private const string VerifierInstruction =
        "For the above question, please verify if the student's answer is equivalent to the ground truth answer.\n" +
        "Do not solve the question by yourself; just check if the student's answer is equivalent to the ground truth answer.\n" +
        "If the student's answer is correct, output \"Final Decision: Yes\". If the student's answer is incorrect, output \"Final Decision: No\". Assistant:";

    private InferenceService.InferenceServiceClient Inference => served.Inference.Client;

    [Fact]
    public async Task A_tiny_causal_verifier_judges_real_items_from_the_spec_prompt_and_its_greedy_text()
    {
        var items = (await served.Client.LoadAsync(new LoadDatasetRequest
        {
            Task = "gsm8k", Split = Split.Test, Limit = 3, IncludeGold = true, TaskType = "general_verifier",
        })).Items;
        var gold = items[0].Gold.Output.StringValue;
        string[] outputs = [$"So the total is \\boxed{{{gold}}}.", "Final Answer: 7\n", "   "];
        string[] students = [gold, "7", "No answer provided."];
        var header = Header("gsm8k", Split.Test, limit: 3, taskType: "general_verifier");
        header.Models = new EvaluatorModels { Verifier = GoldenModels.Llama };

        var (results, summary) = await served.Client.EvaluateAsync(header, outputs.Select((o, i) => Output(o, i)));

        // The verifier requests that reached the inference side (the class's other tests run this model as a reward judge).
        var received = served.Inference.Calls.Requests<GenerateRequest>()
            .Where(r => r.Model == GoldenModels.Llama && r.Prompt.Chat.Messages[0].Content.StartsWith("User: ### Question: ", StringComparison.Ordinal)).ToList();
        var scores = new List<double>();
        for (var i = 0; i < items.Count; i++)
        {
            // §3.1 substitute: the verifier content as one user message (these models have no chat template, so it
            // reaches the engine as it is), greedy, 1024 new tokens.
            var content = $"User: ### Question: {items[i].Prompt}\n\n### Ground Truth Answer: {items[i].Gold.Output.StringValue}\n\n" +
                $"### Student Answer: {students[i]}\n\n{VerifierInstruction}";
            var request = Assert.Single(received, r => r.Prompt.Chat.Messages.Single().Content == content);
            Assert.Equal(("user", 0f, false, 1024), (request.Prompt.Chat.Messages[0].Role, request.Sampling.Temperature!.Value,
                request.Sampling.DoSample!.Value, request.Sampling.MaxNewTokens!.Value));

            // What the model generates for that prompt: the engine's own greedy path, and the text the verdict reads.
            var final = await GenerateAsync(request);
            Assert.NotEmpty(final.TokenIds);
            Assert.Equal(NativeReference.Greedy(served.Models.Dir(GoldenModels.Llama), GoldenModels.Ids(content), final.TokenIds.Count), final.TokenIds);
            var result = Assert.Single(results, r => r.Index == items[i].Index);
            Assert.Equal(final.Text, result.Detail.JudgeText);
            var verdict = final.Text.Contains("Final Decision: Yes", StringComparison.Ordinal) ? 1.0 : 0.0;
            Assert.Equal((verdict, outputs[i], "judge_substituted"), (result.Score!.Value, result.Parsed, Assert.Single(result.Flags)));
            scores.Add(verdict);
        }
        Assert.Equal(3, received.Count);
        Assert.Equal(("verifier_accuracy", 3, 0, false), (summary.Metric, summary.NScored, summary.NErrors, summary.ComparableToReference));
        Assert.Equal(scores.Average(), summary.Mean!.Value, 12);
        Assert.Equal(3, summary.FlagCounts["judge_substituted"]);
    }

    [Fact]
    public async Task The_tiny_reward_classifier_scores_real_items_with_the_engines_head_value()
    {
        var items = (await served.Client.LoadAsync(new LoadDatasetRequest { Task = "human_interest_tiny", Split = Split.Dev, Limit = 3 })).Items;
        string[] outputs = ["A short answer.", "A longer answer, with a second clause and some more words in it.", ""];
        var header = Header("human_interest_tiny", Split.Dev, limit: 3);
        header.Models = new EvaluatorModels { RewardModel = GoldenModels.Reward };

        var (results, summary) = await served.Client.EvaluateAsync(header, outputs.Select((o, i) => Output(o, i)));

        var expected = new List<double>();
        for (var i = 0; i < items.Count; i++)
        {
            // [user: input, assistant: output] without a template is the two contents joined by "\n", in bytes.
            var head = (double)NativeReference.LastRow(served.Models.Dir(GoldenModels.Reward), GoldenModels.Ids(items[i].Prompt + "\n" + outputs[i]))[0];
            var result = Assert.Single(results, r => r.Index == items[i].Index);
            Assert.Equal((head, head, "reward_model_substituted"), (result.Score!.Value, result.Detail.RewardLogit!.Value, Assert.Single(result.Flags)));
            expected.Add(head);
        }
        Assert.Equal(("reward", 3, false), (summary.Metric, summary.NScored, summary.ComparableToReference));
        Assert.Equal(expected.Average(), summary.Mean!.Value, 12);
        var request = served.Inference.Calls.Requests<ScoreRequest>().First(r => r.Model == GoldenModels.Reward);
        Assert.Equal((ScoreMode.Classification, false), (request.Mode, request.Prompt.Chat.AddGenerationPrompt));
    }

    [Fact]
    public async Task A_generative_reward_judge_without_a_rating_line_makes_item_errors()
    {
        var header = Header("alpacaeval", Split.Dev, limit: 2);
        header.Models = new EvaluatorModels { RewardModel = GoldenModels.Llama, RewardModelKind = RewardModelKind.Judge };

        var (results, summary) = await served.Client.EvaluateAsync(header, [Output("Paris.", 0), Output("I do not know.", 1)]);

        foreach (var result in results)
        {
            var request = served.Inference.Calls.Requests<GenerateRequest>().Single(r =>
                r.Model == GoldenModels.Llama && r.Prompt.Chat.Messages[0].Content.Contains("[Response]\n" + (result.Index == 0 ? "Paris." : "I do not know.") + "\n\n"));
            Assert.Contains("\"Rating: <n>\"", request.Prompt.Chat.Messages[0].Content);
            // The model really answers without a "Rating: n" line: §3.2 makes that an item error, never a score.
            Assert.DoesNotContain("Rating:", (await GenerateAsync(request)).Text);
            Assert.Null(result.Score);
            Assert.Equal("reward_judge_generative", Assert.Single(result.Flags));
            var info = ErrorInfo(result.Error);
            Assert.Equal(("JUDGE_OUTPUT_UNPARSEABLE", GoldenModels.Llama, "evaluation.reward_model.model"), (info.Reason, info.Metadata["model"], info.Metadata["key"]));
        }
        Assert.Equal((2, 0, 2, false), (results.Count, summary.NScored, summary.NErrors, summary.ComparableToReference));
    }

    [Fact]
    public async Task Evaluating_the_same_outputs_again_makes_no_second_inference_call()
    {
        var classifier = Header("alpacaeval", Split.Test, limit: 2);
        classifier.Models = new EvaluatorModels { RewardModel = GoldenModels.Reward };
        var judge = Header("alpacaeval", Split.Test, limit: 2);
        judge.Models = new EvaluatorModels { RewardModel = GoldenModels.Llama, RewardModelKind = RewardModelKind.Judge };
        EvaluateOutput[] outputs = [Output("first answer", 0), Output("second answer", 1)];

        var first = await served.Client.EvaluateAsync(classifier, outputs);
        var firstJudged = await served.Client.EvaluateAsync(judge, outputs);
        var (scores, generations) = (served.Inference.Calls.Count("Score"), served.Inference.Calls.Count("Generate"));
        var again = await served.Client.EvaluateAsync(classifier, outputs);
        var againJudged = await served.Client.EvaluateAsync(judge, outputs);

        // Scores and unparseable judge answers alike come from the cache: the inference side saw no new call.
        Assert.Equal((scores, generations), (served.Inference.Calls.Count("Score"), served.Inference.Calls.Count("Generate")));
        Assert.Equal(first.Results.OrderBy(r => r.Index), again.Results.OrderBy(r => r.Index));
        Assert.Equal(firstJudged.Results.OrderBy(r => r.Index), againJudged.Results.OrderBy(r => r.Index));

        // A new output for an item is a new judgement: exactly one more call.
        await served.Client.EvaluateAsync(classifier, [Output("first answer", 0), Output("a different second answer", 1)]);
        Assert.Equal(scores + 1, served.Inference.Calls.Count("Score"));
    }

    [Fact]
    public async Task An_unknown_judge_model_fails_the_call_before_any_item_naming_the_model_and_key()
    {
        var header = Header("gsm8k", Split.Test, limit: 2, taskType: "general_verifier");
        header.Models = new EvaluatorModels { Verifier = "nobody/no-judge" };

        var e = await Assert.ThrowsAsync<RpcException>(() => served.Client.EvaluateAsync(header, [Output("\\boxed{1}", 0)]));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("nobody/no-judge", e.Status.Detail);
        Assert.Contains("evaluation.verifier.model", e.Status.Detail);
        var info = MocoErrors.ErrorInfos(e)[0];
        Assert.Equal(("JUDGE_MISSING", "nobody/no-judge", "evaluation.verifier.model"), (info.Reason, info.Metadata["model"], info.Metadata["key"]));
        Assert.Contains(served.Inference.Calls.Requests<ModelInfoRequest>(), r => r.Model == "nobody/no-judge");
        Assert.DoesNotContain(served.Inference.Calls.Requests<GenerateRequest>(), r => r.Model == "nobody/no-judge");
    }

    [Fact]
    public async Task With_the_inference_service_down_uncached_items_get_unavailable_errors_and_the_others_still_score()
    {
        var inference = await ServedModels.StartInferenceAsync(served.Models);
        var address = inference.Address;
        await using var evaluator = await ServedModels.StartEvaluatorAsync(address);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(evaluator.GrpcAddress);
        var client = new EvaluatorService.EvaluatorServiceClient(channel);
        var header = Header("human_interest_tiny", Split.Test, limit: 4);
        header.Models = new EvaluatorModels { RewardModel = GoldenModels.Reward };
        var outputs = Enumerable.Range(0, 4).Select(i => Output($"answer {i}", i)).ToList();

        var (before, _) = await client.EvaluateAsync(header, outputs[..2]);
        await inference.DisposeAsync();
        var (results, summary) = await client.EvaluateAsync(header, outputs);

        Assert.Equal(before.OrderBy(r => r.Index), results.Where(r => r.Index < 2).OrderBy(r => r.Index));
        foreach (var failed in results.Where(r => r.Index >= 2))
        {
            Assert.Null(failed.Score);
            Assert.Equal((int)StatusCode.Unavailable, failed.Error.Code);
            Assert.Contains(address, failed.Error.Message);
            Assert.Contains("Moco:Evaluator:InferenceAddress", failed.Error.Message);
            Assert.Equal(GoldenModels.Reward, ErrorInfo(failed.Error).Metadata["model"]);
        }
        Assert.Equal((4, 2, 2), (summary.N, summary.NScored, summary.NErrors));
        Assert.Equal(before.Average(r => r.Score!.Value), summary.Mean!.Value, 12);
    }

    private async Task<GenerateFinal> GenerateAsync(GenerateRequest request)
    {
        using var call = Inference.Generate(request);
        GenerateFinal? final = null;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == GenerateResponse.PayloadOneofCase.Final)
            {
                final = message.Final;
            }
        }
        return Assert.IsType<GenerateFinal>(final);
    }

    private static Google.Rpc.ErrorInfo ErrorInfo(Google.Rpc.Status status) =>
        status.Details.Single(d => d.Is(Google.Rpc.ErrorInfo.Descriptor)).Unpack<Google.Rpc.ErrorInfo>();
}
