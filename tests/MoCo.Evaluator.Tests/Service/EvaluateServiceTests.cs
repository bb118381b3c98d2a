using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Tests.Support;
using MoCo.Hosting.Errors;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;

namespace MoCo.Evaluator.Tests.Service;

/// <summary>evaluation.md §5.1 and §6 "service": LoadDataset and Evaluate through a real host.</summary>
public sealed class EvaluateServiceTests(EvaluatorServiceFixture service) : IClassFixture<EvaluatorServiceFixture>
{
    private EvaluatorService.EvaluatorServiceClient Client => service.Client;

    [Fact]
    public async Task LoadDataset_sends_info_then_items_with_prompts_and_gold_only_when_asked()
    {
        var (info, items) = await Client.LoadAsync(new LoadDatasetRequest { Task = "gsm8k", Split = Split.Test, Limit = 3 });
        Assert.Equal(("exact_match", "exact_match", 1000, 3, Selection.Prefix), (info.DeclaredType, info.EffectiveType, info.NTotal, info.NItems, info.Selection));
        Assert.Equal("exact_match", info.Metric);
        Assert.Matches("^[0-9a-f]{64}\\.", info.ViewId);
        Assert.Equal([0, 1, 2], items.Select(i => i.Index));
        Assert.All(items, i => Assert.EndsWith(@"\box{ANSWER}.", i.Prompt));
        Assert.All(items, i => Assert.Null(i.Gold));
        Assert.Equal("domain", Assert.Single(items[0].Metadata.Fields.Keys));

        var (mc, mcItems) = await Client.LoadAsync(new LoadDatasetRequest { Task = "arc_challenge", Split = Split.Dev, IncludeGold = true });
        var digits = mcItems[89];
        Assert.Contains("\nA) ", digits.Prompt);
        Assert.Matches("^[A-E]$", digits.Gold.Choice.Letter);
        Assert.Equal(4, mc.Warnings.Count(w => w.Code == "mc_non_letter_keys"));
        Assert.True(mc.Requirements is { Sandbox: false, Verifier: false });
    }

    [Fact]
    public async Task Outputs_without_indices_are_the_views_first_items()
    {
        var (info, _) = await Client.LoadAsync(new LoadDatasetRequest { Task = "gsm8k", Split = Split.Test, Limit = 10 });
        var (results, summary) = await Client.EvaluateAsync(new EvaluateHeader { ViewId = info.ViewId }, [Output("a"), Output("b"), Output("c")]);
        Assert.Equal([0, 1, 2], results.Select(r => r.Index).Order());
        Assert.Equal((3, 3, 0), (summary.N, summary.NScored, summary.NErrors));
        Assert.Equal(10, summary.Limit);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(-1)]
    public async Task An_index_outside_the_view_is_invalid(int index)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(Header("gsm8k", Split.Test, limit: 10), [Output("1", index)]));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains($"index {index} is not in the view", e.Status.Detail);
        Assert.Equal("outputs[0].index", Assert.Single(MocoErrors.FieldViolations(e)).Field);
    }

    [Fact]
    public async Task A_repeated_index_is_invalid()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(Header("gsm8k", Split.Test), [Output("1", 5), Output("2", 5)]));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("already scored", e.Status.Detail);
    }

    [Fact]
    public async Task An_empty_request_or_a_missing_header_is_invalid()
    {
        var empty = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(Header("gsm8k", Split.Test), []));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        using var call = Client.Evaluate();
        await call.RequestStream.WriteAsync(new EvaluateRequest { Outputs = new EvaluateOutputs { Outputs = { Output("x") } } });
        await call.RequestStream.CompleteAsync();
        var noHeader = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, noHeader.StatusCode);
    }

    [Fact]
    public async Task Extract_only_and_extracted_inputs()
    {
        var folder = Directory.CreateTempSubdirectory("moco-eval-service-").FullName;
        try
        {
            var mcPath = Path.Combine(folder, "organelles.json");
            await File.WriteAllTextAsync(mcPath, """{"task_type": "multiple_choice", "test": [{"question": "Which?", "choices": {"A": "Mitochondria", "B": "Ribosome", "C": "Nucleus", "D": "Golgi apparatus"}, "answer": "B"}]}""");
            var header = new EvaluateHeader { Dataset = new LoadDatasetRequest { Task = mcPath, Split = Split.Test }, ExtractOnly = true };
            var (results, summary) = await Client.EvaluateAsync(header, [Output("C) Nucleus")]);
            var only = Assert.Single(results);
            Assert.Equal(("C", (double?)null), (only.Parsed, only.Score));
            Assert.Null(summary.Mean);

            var emPath = Path.Combine(folder, "money.json");
            await File.WriteAllTextAsync(emPath, """{"task_type": "exact_match", "test": [{"input": "How much?", "output": "1600"}]}""");
            var extracted = new EvaluateHeader { Dataset = new LoadDatasetRequest { Task = emPath, Split = Split.Test }, InputKind = InputKind.Extracted };
            Assert.Equal(1.0, Assert.Single((await Client.EvaluateAsync(extracted, [Output("1,600")])).Results).Score);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_null_output_is_empty_with_a_flag()
    {
        var (results, summary) = await Client.EvaluateAsync(Header("gsm8k", Split.Test, limit: 1), [new EvaluateOutput { Index = 0 }]);
        var result = Assert.Single(results);
        Assert.Equal((0.0, "empty_output"), (result.Score!.Value, Assert.Single(result.Flags)));
        Assert.Equal(1, summary.FlagCounts["empty_output"]);
    }

    [Fact]
    public async Task Culturebench_groups_score_all_or_nothing_and_keep_raw_scores()
    {
        var (_, items) = await Client.LoadAsync(new LoadDatasetRequest { Task = "culturebench", Split = Split.Dev, IncludeGold = true });
        var group = items.GroupBy(i => i.Metadata.Fields["question_id"].StringValue).First(g => g.Count() == 4).ToList();
        static string Flip(string gold) => gold == "True" ? "False" : "True";
        var wrongLast = group.Select((item, k) => Output($"\\boxed{{{(k == 3 ? Flip(item.Gold.Output.StringValue) : item.Gold.Output.StringValue)}}}", item.Index));
        var (results, summary) = await Client.EvaluateAsync(Header("culturebench", Split.Dev), wrongLast);
        Assert.Equal([1.0, 1.0, 1.0, 0.0], results.OrderBy(r => r.Index).Select(r => r.RawScore!.Value));
        Assert.All(results, r => Assert.Equal(0.0, r.Score));
        Assert.Equal(0.0, summary.Mean);

        var allRight = group.Select(item => Output($"\\boxed{{{item.Gold.Output.StringValue}}}", item.Index));
        var (right, _) = await Client.EvaluateAsync(Header("culturebench", Split.Dev), allRight);
        Assert.All(right, r => Assert.Equal((1.0, 1.0), (r.Score!.Value, r.RawScore!.Value)));

        // group_by in the header overrides the dataset's rule: no grouping by a field the items lack.
        var ungrouped = Header("culturebench", Split.Dev);
        ungrouped.GroupBy = "no_such_field";
        var (own, _) = await Client.EvaluateAsync(ungrouped, wrongLast.Select(o => o.Clone()));
        Assert.Equal([1.0, 1.0, 1.0, 0.0], own.OrderBy(r => r.Index).Select(r => r.Score!.Value));
    }

    [Fact]
    public async Task A_view_id_from_one_replica_is_served_and_loaded_by_another()
    {
        var (info, items) = await Client.LoadAsync(new LoadDatasetRequest { Task = "gsm8k", Split = Split.Dev, Limit = 5, LimitSeed = 42 });
        Assert.Equal((Selection.Seeded, Split.Dev), (info.Selection, info.Split));
        await using var other = await service.StartAsync();
        using var channel = GrpcChannel.ForAddress(other.GrpcAddress);
        var otherClient = new EvaluatorService.EvaluatorServiceClient(channel);
        var (results, summary) = await otherClient.EvaluateAsync(new EvaluateHeader { ViewId = info.ViewId }, [Output("x"), Output("y")]);
        Assert.Equal(2, summary.N);
        Assert.Equal(42UL, summary.LimitSeed);
        Assert.Equal(ViewsExpected(), results.Select(r => r.Index).Order());

        // LoadDataset by the id alone: the same view, with gold only when asked.
        var (again, againItems) = await otherClient.LoadAsync(new LoadDatasetRequest { ViewId = info.ViewId, IncludeGold = true });
        Assert.Equal(info, again);
        Assert.Equal(items.Select(i => (i.Index, i.Prompt)), againItems.Select(i => (i.Index, i.Prompt)));
        Assert.All(againItems, i => Assert.NotNull(i.Gold));
        Assert.All(items, i => Assert.Null(i.Gold));
        Assert.Equal(Split.Test, (await Client.LoadAsync(new LoadDatasetRequest { Task = "gsm8k", Split = Split.Test, Limit = 1 })).Info.Split);

        static int[] ViewsExpected() => MoCo.Evaluator.Views.ViewSelection.Select(200, 5, 42, null).Indices[..2];
    }

    [Fact]
    public async Task A_changed_file_fails_its_views_and_a_forged_id_is_not_found_in_Evaluate_and_LoadDataset()
    {
        var folder = Directory.CreateTempSubdirectory("moco-eval-view-").FullName;
        try
        {
            var path = Path.Combine(folder, "changing.json");
            await File.WriteAllTextAsync(path, """{"task_type": "exact_match", "test": [{"input": "q", "output": "1"}]}""");
            var (info, _) = await Client.LoadAsync(new LoadDatasetRequest { Task = path, Split = Split.Test });
            await File.WriteAllTextAsync(path, """{"task_type": "exact_match", "test": [{"input": "q", "output": "2"}, {"input": "r", "output": "3"}]}""");
            var changed = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(new EvaluateHeader { ViewId = info.ViewId }, [Output("1")]));
            Assert.Equal(StatusCode.FailedPrecondition, changed.StatusCode);
            Assert.Equal("VIEW_CHANGED", MocoErrors.ErrorInfos(changed)[0].Reason);
            var reload = await Assert.ThrowsAsync<RpcException>(() => Client.LoadAsync(new LoadDatasetRequest { ViewId = info.ViewId }));
            Assert.Equal((StatusCode.FailedPrecondition, "VIEW_CHANGED"), (reload.StatusCode, MocoErrors.ErrorInfos(reload)[0].Reason));
            Assert.Equal("view_id", Assert.Single(MocoErrors.FieldViolations(reload)).Field);

            var forgedId = new string('0', 64) + ".e30";
            var forged = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(new EvaluateHeader { ViewId = forgedId }, [Output("1")]));
            Assert.Equal(StatusCode.NotFound, forged.StatusCode);
            var forgedLoad = await Assert.ThrowsAsync<RpcException>(() => Client.LoadAsync(new LoadDatasetRequest { ViewId = forgedId }));
            Assert.Equal((StatusCode.NotFound, "view_id"), (forgedLoad.StatusCode, Assert.Single(MocoErrors.FieldViolations(forgedLoad)).Field));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_view_id_with_view_fields_beside_it_or_inside_an_evaluate_dataset_is_invalid_naming_the_field()
    {
        var (info, _) = await Client.LoadAsync(new LoadDatasetRequest { Task = "gsm8k", Split = Split.Dev, Limit = 2 });
        var beside = await Assert.ThrowsAsync<RpcException>(() => Client.LoadAsync(new LoadDatasetRequest { ViewId = info.ViewId, Split = Split.Dev, Limit = 2 }));
        Assert.Equal(StatusCode.InvalidArgument, beside.StatusCode);
        Assert.Equal("view_id", Assert.Single(MocoErrors.FieldViolations(beside)).Field);
        Assert.Contains("split, limit", beside.Status.Detail);

        var inside = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(
            new EvaluateHeader { Dataset = new LoadDatasetRequest { ViewId = info.ViewId } }, [Output("1")]));
        Assert.Equal(StatusCode.InvalidArgument, inside.StatusCode);
        Assert.Contains("header.dataset.view_id", MocoErrors.FieldViolations(inside).Select(v => v.Field));
    }

    [Fact]
    public async Task Reward_logits_average_and_text_generation_test_is_unscored_without_calls()
    {
        service.Fake.Models.Add(JudgeRole.RewardModel.DefaultModel);
        service.Fake.OnScore = r => new ScoreResponse { Values = { r.Prompt.Chat.Messages[1].Content == "good" ? 2.5f : -1.0f } };
        var (results, summary) = await Client.EvaluateAsync(Header("human_interest_tiny", Split.Dev), [Output("good"), Output("bad")]);
        Assert.Equal((0.75, "reward", true), (summary.Mean!.Value, summary.Metric, summary.ComparableToReference));
        Assert.All(results, r => Assert.NotNull(r.Detail.RewardLogit));

        var calls = service.Fake.Scored.Count;
        var (unscored, tg) = await Client.EvaluateAsync(Header("human_interest_tiny", Split.Test, taskType: "text_generation"), [Output("good"), Output("bad")]);
        Assert.Equal(("none", 0.0), (tg.Metric, tg.Mean!.Value));
        Assert.All(unscored, r => Assert.Equal((0.0, "unscored"), (r.Score!.Value, Assert.Single(r.Flags))));
        Assert.Equal(calls, service.Fake.Scored.Count);
    }

    [Fact]
    public async Task A_missing_reward_model_fails_before_any_item_naming_the_config_key()
    {
        var header = Header("alpacaeval", Split.Dev);
        header.Models = new EvaluatorModels { RewardModel = "no/such-reward-model" };
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.EvaluateAsync(header, [Output("x")]));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("evaluation.reward_model.model", e.Status.Detail);
        Assert.Equal("JUDGE_MISSING", MocoErrors.ErrorInfos(e)[0].Reason);
    }

    [Fact]
    public async Task A_substituted_verifier_marks_the_summary_not_comparable()
    {
        service.Fake.Models.Add("tiny-verifier");
        service.Fake.OnGenerate = r => r.Prompt.Chat.Messages[0].Content.Contains("### Student Answer: 42\n") ? "Final Decision: Yes" : "Final Decision: No";
        var header = Header("gsm8k", Split.Test, limit: 2, taskType: "general_verifier");
        header.Models = new EvaluatorModels { Verifier = "tiny-verifier" };
        var (results, summary) = await Client.EvaluateAsync(header, [Output("\\boxed{42}"), Output("no idea")]);
        Assert.False(summary.ComparableToReference);
        Assert.Equal(2, summary.FlagCounts["judge_substituted"]);
        Assert.All(results, r => Assert.Contains(r.Score!.Value, new[] { 0.0, 1.0 }));
        Assert.Equal("\\boxed{42}", results.Single(r => r.Index == 0).Parsed);
    }
}
