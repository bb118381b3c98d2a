using System.Text;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Tests.Serving;
using MoCo.Testing.Inference;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;

namespace MoCo.Inference.Tests.Training;

/// <summary>Training a model that is itself a trained adapter (methods-text.md §0.9): the job starts from the full current
/// model, so the result carries every delta so far.</summary>
[Collection(TrainCollection.Name)]
public sealed class AdapterBaseTrainTests(TrainHost host)
{
    [Fact]
    public async Task A_lora_job_on_an_adapter_keeps_the_earlier_delta_in_its_merged_base()
    {
        var (first, second) = (TrainMessages.Pairs[0], TrainMessages.Pairs[1]);
        await host.RunAsync(OnePair("stage-1", GoldenModels.Llama), [TrainMessages.Sft(first.Prompt, first.Completion)]);

        var responses = await host.RunAsync(OnePair("stage-2", "stage-1"), [TrainMessages.Sft(second.Prompt, second.Completion)]);

        Assert.Equal("stage-2", responses[^1].Done.ModelId);
        Assert.Equal(second.Completion, await Greedy("stage-2", second));
        Assert.Equal(first.Completion, await Greedy("stage-2.base", first));
        var info = await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "stage-2" });
        Assert.Equal(ModelKind.Adapter, info.Summary.Kind);
        Assert.Equal(ModelKind.CausalLm, (await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "stage-2.base" })).Summary.Kind);
    }

    [Fact]
    public async Task A_lora_job_served_on_the_original_base_names_that_base_and_drops_the_merged_one()
    {
        var (first, second) = (TrainMessages.Pairs[0], TrainMessages.Pairs[1]);
        await host.RunAsync(OnePair("orig-1", GoldenModels.Llama), [TrainMessages.Sft(first.Prompt, first.Completion)]);
        var job = OnePair("orig-2", "orig-1");
        job.AdapterOnOriginalBase = true;

        var responses = await host.RunAsync(job, [TrainMessages.Sft(second.Prompt, second.Completion)]);

        Assert.Equal("orig-2", responses[^1].Done.ModelId);
        var (earlier, trained) = ((await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "orig-1" })).Summary,
            (await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "orig-2" })).Summary);
        Assert.Equal(ModelKind.Adapter, trained.Kind);
        // The reference's DPO: trained from the merged model, served on the first adapter's own base.
        Assert.Equal(earlier.BaseModel, trained.BaseModel);
        Assert.NotEqual("orig-2.base", trained.BaseModel);
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "orig-2.base" }));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        // Without the earlier delta the first prompt no longer gets the first completion, which the merged model gives.
        Assert.Equal(first.Completion, await Greedy("orig-1", first));
        Assert.NotEqual(first.Completion, await Greedy("orig-2", first));
    }

    [Fact]
    public async Task Serving_on_the_original_base_is_refused_for_a_full_job_naming_the_field()
    {
        var job = OnePair("orig-full", GoldenModels.Llama);
        job.Lora = null;
        job.AdapterOnOriginalBase = true;
        var error = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(job, [TrainMessages.Sft("a", "b")]));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("job.adapter_on_original_base", MocoErrors.FieldViolations(error).Select(v => v.Field));
    }

    [Fact]
    public async Task A_full_job_on_an_adapter_writes_whole_weights_and_drops_the_merged_base()
    {
        var (first, second) = (TrainMessages.Pairs[0], TrainMessages.Pairs[2]);
        await host.RunAsync(OnePair("full-from-1", GoldenModels.Llama), [TrainMessages.Sft(first.Prompt, first.Completion)]);
        var job = OnePair("full-from-2", "full-from-1");
        job.Lora = null;
        job.Hyper.LearningRate = 2e-3;

        var responses = await host.RunAsync(job, [TrainMessages.Sft(second.Prompt, second.Completion)]);

        Assert.Equal("full-from-2", responses[^1].Done.ModelId);
        Assert.Equal(ModelKind.CausalLm, (await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "full-from-2" })).Summary.Kind);
        Assert.Equal(second.Completion, await Greedy("full-from-2", second));
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "full-from-2.base" }));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_failed_job_on_an_adapter_leaves_no_merged_base_behind()
    {
        var first = TrainMessages.Pairs[0];
        await host.RunAsync(OnePair("fails-from", GoldenModels.Llama), [TrainMessages.Sft(first.Prompt, first.Completion)]);

        var error = await Assert.ThrowsAsync<RpcException>(() => host.RunAsync(OnePair("fails", "fails-from"), [TrainMessages.Dpo("a", "b", "c")]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ModelInfoAsync(new ModelInfoRequest { Model = "fails.base" }));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    private static TrainJob OnePair(string id, string baseModel)
    {
        var job = TrainMessages.Overfit(id, epochs: 40);
        job.BaseModel = baseModel;
        job.Hyper.GradAccum = 1;
        return job;
    }

    private async Task<string> Greedy(string model, (string Prompt, string Completion) pair)
    {
        var generation = await Generation.RunAsync(host.Client, ServingRequests.Generate(model, GoldenModels.Ids(pair.Prompt), pair.Completion.Length));
        return Encoding.UTF8.GetString(Assert.Single(generation.Finals).TokenIds.Select(i => (byte)i).ToArray());
    }
}
