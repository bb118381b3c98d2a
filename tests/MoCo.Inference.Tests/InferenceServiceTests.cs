using MoCo.Testing.Models;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Testing;

namespace MoCo.Inference.Tests;

public sealed class InferenceServiceTests : IAsyncLifetime
{
    private readonly ModelFixture _models = new();
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;
    private InferenceService.InferenceServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await LoopbackHost.StartAsync(new InferenceModule(),
            ("Moco:Inference:Device", "cpu"), ("Moco:Inference:ModelDirectories:0", _models.Root));
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress);
        _client = new InferenceService.InferenceServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        _models.Dispose();
    }

    [Fact]
    public async Task List_models_reports_the_native_engine_and_the_models_on_disk()
    {
        var reply = await _client.ListModelsAsync(new ListModelsRequest());
        Assert.StartsWith(Native.MocoEngine.Version, reply.Engine.NativeVersion);
        Assert.Equal("cpu", reply.Engine.Devices[0].Name);
        Assert.Equal(DeviceKind.Cpu, reply.Engine.Devices[0].Kind);
        var tiny = Assert.Single(reply.Models, m => m.Id == "Acme/Tiny-Chat");
        Assert.Equal((ModelKind.CausalLm, "LlamaForCausalLM", 320L * 16 + 16, DType.Bf16, 2048, 320, false, "cpu"),
            (tiny.Kind, tiny.Architecture, tiny.Parameters, tiny.Dtype, tiny.ContextLength, tiny.VocabSize, tiny.Resident, tiny.Device));
        Assert.Contains(reply.Models, m => m.Id == "adapters/math-lora" && m.Kind == ModelKind.Adapter && m.BaseModel == "acme/tiny-llama");
    }

    [Fact]
    public async Task Model_info_reads_tokens_generation_defaults_and_the_resolution_trace()
    {
        var info = await _client.ModelInfoAsync(new ModelInfoRequest { Model = "judge" });
        Assert.Equal("judge", info.Summary.Id);
        Assert.True(info.HasChatTemplate);
        Assert.Equal((1, 2), (info.BosId, info.EosIds.Tokenizer));
        Assert.Null(info.PadId);
        Assert.Equal([2, 7], info.EosIds.GenerationConfig);
        Assert.Equal([1, 2], info.SpecialTokens.Select(t => t.Id));
        Assert.Equal(0.6f, info.GenerationDefaults.Temperature);
        Assert.Null(info.GenerationDefaults.TopK);
        Assert.True(info.ResolutionTrace[^1].Matched);
        Assert.Equal(_models.Llama, info.ResolutionTrace[^1].Candidate);
    }

    [Fact]
    public async Task An_unknown_model_is_not_found_with_its_name_and_the_places_searched()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.ModelInfoAsync(new ModelInfoRequest { Model = "nobody/nothing-7b" }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("model 'nobody/nothing-7b' not found", error.Status.Detail);
        var info = Assert.Single(MocoErrors.ErrorInfos(error));
        Assert.Equal(("MODEL_NOT_FOUND", "nobody/nothing-7b"), (info.Reason, info.Metadata["model"]));
        Assert.Contains(Path.Combine(_models.Root, "nobody--nothing-7b"), info.Metadata["searched"]);
    }

    [Fact]
    public async Task An_ensemble_member_that_is_not_resident_is_not_colocated()
    {
        var request = new GenerateEnsembleRequest();
        request.Members.Add(new EnsembleMember { Model = "Acme/Tiny-Chat" });
        using var call = _client.GenerateEnsemble(request);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(("NOT_COLOCATED", "Acme/Tiny-Chat"), (Assert.Single(MocoErrors.ErrorInfos(error)).Reason, MocoErrors.ErrorInfos(error)[0].Metadata["model"]));
    }

    [Fact]
    public async Task An_ensemble_names_the_member_that_is_not_found()
    {
        var request = new GenerateEnsembleRequest();
        request.Members.Add(new EnsembleMember { Model = "Acme/Tiny-Chat" });
        request.Members.Add(new EnsembleMember { Model = "ghost" });
        using var call = _client.GenerateEnsemble(request);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("members[1].model", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }

    [Fact]
    public async Task Every_rpc_without_a_model_field_answers_unimplemented_naming_its_capability()
    {
        foreach (var name in InferenceCapabilities.Pending.Keys)
        {
            var method = InferenceService.Descriptor.FindMethodByName(name);
            var status = await RawCalls.CallEmptyAsync(_channel.CreateCallInvoker(), method);
            Assert.True(status.StatusCode == StatusCode.Unimplemented, $"{name}: {status.StatusCode} {status.Detail}");
            Assert.Contains(InferenceCapabilities.Pending[name], status.Detail);
        }
    }

    [Fact]
    public void Every_rpc_is_served_or_declared_pending()
    {
        var served = new[] { "ListModels", "ModelInfo", "Tokenize", "Detokenize", "LoadModel", "UnloadModel", "Generate", "Score", "Embed", "Train", "Decode", "GenerateEnsemble", "ReadWeights", "WriteModel", "Merge" };
        Assert.Equal(InferenceService.Descriptor.Methods.Select(m => m.Name).Order(), InferenceCapabilities.Pending.Keys.Concat(served).Order());
    }

    [Fact]
    public async Task A_device_this_build_lacks_stops_the_host_before_it_binds()
    {
        var error = await Assert.ThrowsAsync<MocoConfigurationException>(() =>
            LoopbackHost.StartAsync(new InferenceModule(), ("Moco:Inference:Device", "tpu:0")));
        Assert.Equal("Moco:Inference:Device", error.Key);
    }
}
