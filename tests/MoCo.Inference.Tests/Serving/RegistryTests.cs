using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Serving;

public sealed class RegistryTests : IDisposable
{
    private readonly GoldenModels _models = new();

    [Fact]
    public async Task Load_and_unload_move_models_in_and_out_of_the_budget_which_names_what_is_resident()
    {
        // Room for the causal model (weights + 1024-token KV cache) but not for the classifier beside it.
        await using var host = await InferenceHost.StartAsync(_models.Root, ("Moco:Inference:MemoryBudgetBytes", "600000"));
        var client = host.Client;

        var loaded = await client.LoadModelAsync(new LoadModelRequest { Model = GoldenModels.Llama });
        Assert.True(loaded.Summary.Resident);
        Assert.Contains((await client.ListModelsAsync(new ListModelsRequest())).Models, m => m.Id == GoldenModels.Llama && m.Resident);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.LoadModelAsync(new LoadModelRequest { Model = GoldenModels.Reward }));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var info = Assert.Single(MocoErrors.ErrorInfos(error));
        Assert.Equal(("OUT_OF_MEMORY", GoldenModels.Reward), (info.Reason, info.Metadata["model"]));
        Assert.Contains(GoldenModels.Llama, error.Status.Detail);

        await client.UnloadModelAsync(new UnloadModelRequest { Model = GoldenModels.Llama });
        Assert.DoesNotContain((await client.ListModelsAsync(new ListModelsRequest())).Models, m => m.Resident);
        Assert.True((await client.LoadModelAsync(new LoadModelRequest { Model = GoldenModels.Reward })).Summary.Resident);
    }

    [Fact]
    public async Task Preloaded_models_are_resident_before_the_first_call_and_a_bad_preload_stops_the_host()
    {
        await using (var host = await InferenceHost.StartAsync(_models.Root, ("Moco:Inference:Preload:0", GoldenModels.Lora)))
        {
            var listed = (await host.Client.ListModelsAsync(new ListModelsRequest())).Models;
            Assert.Equal([GoldenModels.Llama, GoldenModels.Lora], listed.Where(m => m.Resident).Select(m => m.Id).Order());
        }

        var bad = await Assert.ThrowsAsync<Hosting.MocoConfigurationException>(() => InferenceHost.StartAsync(_models.Root, ("Moco:Inference:Preload:0", "nobody/nothing")));
        Assert.Equal("Moco:Inference:Preload:0", bad.Key);
        Assert.Contains("'nobody/nothing' cannot be loaded: model 'nobody/nothing' not found", bad.Message);
    }

    [Fact]
    public async Task A_model_written_at_run_time_is_served_under_its_new_id()
    {
        await using var host = await InferenceHost.StartAsync(_models.Root);
        var registry = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Registry.ModelRegistry>(host.Service.App.Services);
        registry.Register("run-1/merged", _models.Dir(GoldenModels.Llama));
        var client = host.Client;

        var golden = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0);
        var generation = await Generation.RunAsync(client, Requests.Generate("run-1/merged", golden.Prompt, 4));
        Assert.Equal(golden.Greedy[..4], generation.Finals[0].TokenIds);
        Assert.Contains((await client.ListModelsAsync(new ListModelsRequest())).Models, m => m.Id == "run-1/merged" && m.Origin == ModelOrigin.Runtime && m.Resident);
    }

    public void Dispose() => _models.Dispose();
}
