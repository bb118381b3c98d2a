using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Tests.Serving;
using MoCo.Testing.Inference;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;

namespace MoCo.Inference.Tests.Training;

/// <summary>POLICY_GRADIENT Train jobs (contracts.md §4, methods-text.md §6 GRPO acceptance (c)): rollouts sampled from
/// the trainer's current weights, rewards from the client, group-normalised advantages.</summary>
[Collection(TrainCollection.Name)]
public sealed class PolicyGradientTrainTests(TrainHost host)
{
    private static readonly string[] Prompts = ["Q1:", "Q2:"];

    [Fact]
    public async Task Equal_rewards_in_every_group_leave_the_adapter_at_zero_and_greedy_outputs_unchanged()
    {
        var (responses, _) = await RunAsync(Job("pg-equal"), rollouts => rollouts.Select(_ => 1.0));

        Assert.Equal("pg-equal", responses[^1].Done.ModelId);
        Assert.All(Progress(responses), p => Assert.Equal(0.0, p.GradNorm));
        foreach (var prompt in Prompts)
        {
            Assert.Equal(await Greedy(GoldenModels.Llama, prompt), await Greedy("pg-equal", prompt));
        }
    }

    [Fact]
    public async Task Rewarding_one_completion_per_group_raises_its_log_probability()
    {
        var (responses, batches) = await RunAsync(Job("pg-first", epochs: 6), rollouts => rollouts.Select(r => r.SampleIndex == 0 ? 1.0 : 0.0));

        var first = batches[0];
        // One prompt per step (micro_batch 1, grad_accum 1), its group of 4 completions in sample order.
        Assert.Equal(Enumerable.Range(0, 4), first.Rollouts.Select(r => r.SampleIndex));
        Assert.Single(first.Rollouts.Select(r => r.ExampleIndex).Distinct());
        Assert.Equal(6 * Prompts.Length, Progress(responses).Count);
        Assert.Equal(Progress(responses).Count, batches.Count);
        var rewarded = first.Rollouts[0];
        var prompt = Prompts[rewarded.ExampleIndex];
        var before = await SumLogprob(GoldenModels.Llama, prompt, rewarded.TokenIds);
        var after = await SumLogprob("pg-first", prompt, rewarded.TokenIds);
        Assert.True(after > before + 0.5, $"log p of the rewarded completion: {before} before, {after} after");
    }

    [Fact]
    public async Task The_same_seed_draws_the_same_rollouts()
    {
        var (_, a) = await RunAsync(Job("pg-seed-a", epochs: 1), r => r.Select(x => (double)x.TokenIds[0]));
        var (_, b) = await RunAsync(Job("pg-seed-b", epochs: 1), r => r.Select(x => (double)x.TokenIds[0]));

        Assert.Equal(a.Select(x => x.ToString()), b.Select(x => x.ToString()));
        Assert.Contains(a[0].Rollouts, r => !r.TokenIds.SequenceEqual(a[0].Rollouts[0].TokenIds));
    }

    [Fact]
    public async Task A_cancelled_job_submitted_again_continues_with_the_next_step_and_ends_like_an_uninterrupted_one()
    {
        IEnumerable<double> Reward(IList<Rollout> rollouts) => rollouts.Select(r => r.SampleIndex == 0 ? 1.0 : 0.0);
        var (reference, referenceBatches) = await RunAsync(Job("pg-resume-reference", epochs: 2), Reward);
        Assert.Equal([1, 2, 3, 4], Progress(reference).Select(p => p.Step));

        // Cancelled while step 3's rollouts await their rewards: steps 1 and 2 are kept (TrainResume). The running job
        // already saved its state after step 2 (TrainResumeSeconds 0), the older one gone.
        var folder = Path.Combine(host.Trained, ".resume-pg-resume");
        Assert.Equal(2, await CancelAtRollouts(Job("pg-resume", epochs: 2), Reward, rewarded: 2, beforeCancel: () =>
            Assert.Equal(["job.sha256", "state-2.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal))));
        Assert.True(Directory.Exists(folder), "the cancelled job kept no state");

        var (resumed, resumedBatches) = await RunAsync(Job("pg-resume", epochs: 2), Reward);
        Assert.Equal([3, 4], Progress(resumed).Select(p => p.Step));
        // The same rollouts (drawn from the restored weights) and the same losses as the uninterrupted job.
        Assert.Equal(referenceBatches.Skip(2).Select(b => b.ToString()), resumedBatches.Select(b => b.ToString()));
        Assert.Equal(Progress(reference).Skip(2).Select(p => p.Loss), Progress(resumed).Select(p => p.Loss));
        Assert.Equal(reference[^1].Done.FinalLoss, resumed[^1].Done.FinalLoss);
        Assert.False(Directory.Exists(folder), "the finished job left its resume folder");
        var rollout = referenceBatches[^1].Rollouts[0];
        Assert.Equal(await SumLogprob("pg-resume-reference", Prompts[rollout.ExampleIndex], rollout.TokenIds),
            await SumLogprob("pg-resume", Prompts[rollout.ExampleIndex], rollout.TokenIds));
    }

    [Fact]
    public async Task Another_job_under_a_cancelled_jobs_output_id_starts_over()
    {
        IEnumerable<double> Reward(IList<Rollout> rollouts) => rollouts.Select(r => (double)r.SampleIndex);
        Assert.Equal(1, await CancelAtRollouts(Job("pg-restart", epochs: 2), Reward, rewarded: 1));
        var other = Job("pg-restart", epochs: 2);
        other.Hyper.Seed = 7;
        var (responses, _) = await RunAsync(other, Reward);
        Assert.Equal([1, 2, 3, 4], Progress(responses).Select(p => p.Step));
        Assert.False(Directory.Exists(Path.Combine(host.Trained, ".resume-pg-restart")));
    }

    [Fact]
    public async Task A_wrong_reward_count_is_invalid_argument_and_registers_nothing()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Job("pg-short"), r => r.Skip(1).Select(_ => 1.0)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("rewards.rewards", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "pg-short" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_request_stream_that_ends_while_rollouts_await_rewards_is_invalid_argument()
    {
        using var call = host.Client.Train();
        await TrainHost.Send(call, Job("pg-gone"), Prompts.Select(Example));
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                if (response.PayloadCase == TrainResponse.PayloadOneofCase.Rollouts)
                {
                    await call.RequestStream.CompleteAsync();
                }
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("rewards", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }

    [Fact]
    public async Task Policy_gradient_fields_are_checked()
    {
        var job = Job("pg-bad");
        job.Hyper.GroupSize = 1;
        job.Hyper.KlBeta = -1;
        var error = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(job, [Example("Q1:")]));
        Assert.Equal(["job.hyper.group_size", "job.hyper.kl_beta"], MocoErrors.FieldViolations(error).Select(v => v.Field).Order(StringComparer.Ordinal));

        var sft = TrainMessages.Overfit("sft-with-rollouts");
        sft.RolloutSampling = new SamplingParams { Temperature = 1 };
        var wrong = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(sft, [TrainMessages.Sft("a", "b")]));
        Assert.Equal("job.rollout_sampling", Assert.Single(MocoErrors.FieldViolations(wrong)).Field);

        var target = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(Job("pg-target"), [TrainMessages.Sft("a", "b")]));
        Assert.Equal("examples[0]", Assert.Single(MocoErrors.FieldViolations(target)).Field);
    }

    private static TrainJob Job(string id, int epochs = 3)
    {
        var job = TrainMessages.Overfit(id, TrainKind.PolicyGradient, epochs: epochs);
        job.Hyper.GradAccum = 1;
        job.Hyper.GroupSize = 4;
        job.RolloutSampling = new SamplingParams { Temperature = 1, TopP = 1, TopK = 0, DoSample = true, MaxNewTokens = 4 };
        return job;
    }

    private static TrainExample Example(string prompt) => new() { Prompt = new Prompt { Text = prompt }, PromptOnly = new PromptOnly() };

    private static List<TrainProgress> Progress(List<TrainResponse> responses) =>
        [.. responses.Where(r => r.PayloadCase == TrainResponse.PayloadOneofCase.Progress).Select(r => r.Progress)];

    // Runs a job over Prompts, answering every rollout batch with the rewards the function gives.
    private async Task<(List<TrainResponse> Responses, List<TrainRollouts> Batches)> RunAsync(TrainJob job, Func<IList<Rollout>, IEnumerable<double>> reward)
    {
        using var call = host.Client.Train();
        await TrainHost.Send(call, job, Prompts.Select(Example));
        var responses = new List<TrainResponse>();
        var batches = new List<TrainRollouts>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            responses.Add(response);
            if (response.PayloadCase == TrainResponse.PayloadOneofCase.Rollouts)
            {
                batches.Add(response.Rollouts);
                var answer = new TrainRewards { BatchId = response.Rollouts.BatchId };
                answer.Rewards.Add(reward(response.Rollouts.Rollouts));
                await call.RequestStream.WriteAsync(new TrainRequest { Rewards = answer });
            }
        }
        return (responses, batches);
    }

    // Runs a job over Prompts, rewards its first `rewarded` rollout batches, cancels it when the next one comes (after
    // beforeCancel), and returns the last step it reported.
    private async Task<int> CancelAtRollouts(TrainJob job, Func<IList<Rollout>, IEnumerable<double>> reward, int rewarded, Action? beforeCancel = null)
    {
        using var call = host.Client.Train();
        await TrainHost.Send(call, job, Prompts.Select(Example));
        var last = 0;
        var batches = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                last = response.PayloadCase == TrainResponse.PayloadOneofCase.Progress ? response.Progress.Step : last;
                if (response.PayloadCase != TrainResponse.PayloadOneofCase.Rollouts)
                {
                    continue;
                }
                if (batches++ == rewarded)
                {
                    beforeCancel?.Invoke();
                    await call.RequestStream.WriteAsync(new TrainRequest { Cancel = new TrainCancel() });
                    continue;
                }
                var answer = new TrainRewards { BatchId = response.Rollouts.BatchId };
                answer.Rewards.Add(reward(response.Rollouts.Rollouts));
                await call.RequestStream.WriteAsync(new TrainRequest { Rewards = answer });
            }
        });
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        return last;
    }

    private async Task<IReadOnlyList<int>> Greedy(string model, string prompt) =>
        Assert.Single((await Generation.RunAsync(host.Client, ServingRequests.Generate(model, GoldenModels.Ids(prompt), 6))).Finals).TokenIds;

    private async Task<double> SumLogprob(string model, string prompt, IEnumerable<int> completion)
    {
        var tokens = new TokenIds();
        tokens.Ids.Add(completion);
        return (await host.Client.ScoreAsync(new ScoreRequest
        {
            Model = model,
            Prompt = new Prompt { Text = prompt },
            Continuation = new Continuation { Tokens = tokens },
        })).SumLogprob;
    }
}
