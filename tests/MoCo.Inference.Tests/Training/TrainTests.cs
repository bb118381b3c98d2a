using System.Text;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Tests.Serving;
using MoCo.Testing.Inference;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;

namespace MoCo.Inference.Tests.Training;

[Collection(TrainCollection.Name)]
public sealed class TrainTests(TrainHost host)
{
    [Fact]
    public async Task An_sft_lora_job_registers_a_model_whose_greedy_output_is_a_training_completion()
    {
        var responses = await host.RunAsync(TrainMessages.Overfit("sft-lora"), TrainMessages.Pairs.Select(p => TrainMessages.Sft(p.Prompt, p.Completion)));

        var started = responses[0].Started;
        Assert.Equal(60, started.TotalSteps);
        var progress = responses.Where(r => r.PayloadCase == TrainResponse.PayloadOneofCase.Progress).Select(r => r.Progress).ToList();
        Assert.Equal(Enumerable.Range(1, 60), progress.Select(p => p.Step));
        Assert.True(progress[^1].Loss < 0.5 * progress[0].Loss, $"loss {progress[0].Loss} → {progress[^1].Loss}");
        Assert.Equal(60.0, progress[^1].Epoch, 9);
        Assert.All(progress, p => Assert.True(p.TokensPerS > 0 && p.Lr > 0));
        var done = responses[^1].Done;
        Assert.Equal("sft-lora", done.ModelId);
        Assert.Equal(progress[^1].Loss, done.FinalLoss);
        Assert.Equal(64, done.Fingerprint.Length);
        var info = await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "sft-lora" });
        Assert.Equal(("sft-lora", ModelOrigin.Runtime), (info.Summary.Id, info.Summary.Origin));

        foreach (var (prompt, completion) in TrainMessages.Pairs)
        {
            var generation = await Generation.RunAsync(host.Client, ServingRequests.Generate("sft-lora", GoldenModels.Ids(prompt), completion.Length));
            Assert.Equal(Encoding.UTF8.GetBytes(completion).Select(b => (int)b), Assert.Single(generation.Finals).TokenIds);
        }
    }

    [Fact]
    public async Task Two_jobs_with_the_same_seed_report_identical_losses()
    {
        var examples = TrainMessages.Pairs.Select(p => TrainMessages.Sft(p.Prompt, p.Completion)).ToList();
        async Task<List<double>> Losses(string id, ulong seed) =>
            [.. (await host.RunAsync(TrainMessages.Overfit(id, epochs: 4, seed: seed, dropout: 0.1f), examples))
                .Where(r => r.PayloadCase == TrainResponse.PayloadOneofCase.Progress).Select(r => r.Progress.Loss)];

        var first = await Losses("seed-a", 5);
        Assert.Equal(first, await Losses("seed-b", 5));
        Assert.NotEqual(first, await Losses("seed-c", 6));
    }

    [Fact]
    public async Task A_cancel_mid_job_ends_with_cancelled_and_registers_nothing()
    {
        using (var call = host.Client.Train())
        {
            await TrainHost.Send(call, TrainMessages.Overfit("cancelled", epochs: 100_000), TrainMessages.Pairs.Select(p => TrainMessages.Sft(p.Prompt, p.Completion)));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(TrainResponse.PayloadOneofCase.Started, call.ResponseStream.Current.PayloadCase);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(TrainResponse.PayloadOneofCase.Progress, call.ResponseStream.Current.PayloadCase);
            await call.RequestStream.WriteAsync(new TrainRequest { Cancel = new TrainCancel() });
            var error = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    Assert.Equal(TrainResponse.PayloadOneofCase.Progress, call.ResponseStream.Current.PayloadCase);
                }
            });
            Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        }

        var missing = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(host.Client, ServingRequests.Generate("cancelled", [1, 2], 1)));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Bad_job_fields_are_invalid_argument_naming_each_field()
    {
        var job = new TrainJob { Lora = new LoraConfig { R = 0, Dropout = 1 }, Hyper = new TrainHyper { Epochs = 0, WarmupRatio = 2, LearningRate = -1 } };
        job.Lora.TargetModules.Add("nope");
        var error = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(job, [TrainMessages.Sft("a", "b")]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(
            ["job.base_model", "job.hyper.epochs", "job.hyper.learning_rate", "job.hyper.warmup_ratio", "job.kind", "job.lora.dropout", "job.lora.r", "job.lora.target_modules[0]"],
            MocoErrors.FieldViolations(error).Select(v => v.Field).Order(StringComparer.Ordinal));

        var taken = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(TrainMessages.Overfit(GoldenModels.Lora), [TrainMessages.Sft("a", "b")]));
        Assert.Equal("job.output_id", Assert.Single(MocoErrors.FieldViolations(taken)).Field);

        var wrongTarget = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(TrainMessages.Overfit("wrong-target"), [TrainMessages.Dpo("a", "b", "c")]));
        Assert.Equal("examples[0]", Assert.Single(MocoErrors.FieldViolations(wrongTarget)).Field);

    }

    [Fact]
    public async Task Dpo_raises_the_chosen_over_rejected_margin_measured_with_score()
    {
        const string prompt = "Pick:", chosen = "yes", rejected = "no!";
        async Task<double> Margin(string model) => await Sum(model, chosen) - await Sum(model, rejected);
        async Task<double> Sum(string model, string continuation) => (await host.Client.ScoreAsync(new ScoreRequest
        {
            Model = model,
            Prompt = new Prompt { Text = prompt },
            Continuation = new Continuation { Text = continuation },
        })).SumLogprob;

        var before = await Margin(GoldenModels.Llama);
        var job = TrainMessages.Overfit("dpo-lora", TrainKind.Dpo, epochs: 8);
        job.Hyper.LearningRate = 5e-3;
        job.Hyper.GradAccum = 1;
        var responses = await host.RunAsync(job, [TrainMessages.Dpo(prompt, chosen, rejected)]);

        Assert.Equal(Math.Log(2), responses.First(r => r.PayloadCase == TrainResponse.PayloadOneofCase.Progress).Progress.Loss, 5);
        Assert.Equal("dpo-lora", responses[^1].Done.ModelId);
        var after = await Margin("dpo-lora");
        Assert.True(after > before + 0.1, $"margin {before} before, {after} after");
    }
}
