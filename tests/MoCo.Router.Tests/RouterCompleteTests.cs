using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Router.Decoding;
using MoCo.Testing;
using MoCo.Testing.Inference;

namespace MoCo.Router.Tests;

/// <summary>The router service answering Complete for a method that needs no fitted router (api_nudging, methods-api.md
/// §0.11) over the real inference service: each item is what the nudging library decodes for it.</summary>
public sealed class RouterCompleteTests : IAsyncLifetime
{
    private InferenceHost _inference = null!;
    private RunningService _router = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _inference = await InferenceHost.StartAsync(Path.GetFullPath(Path.Combine(GoldenModels.GoldenRoot, "..", "..", "..", "..", "..", "..", "examples", "smoke", "models")));
        _router = await LoopbackHost.StartAsync(new RouterModule(), ("Moco:Router:InferenceAddress", _inference.Address),
            ("Moco:Router:StoreDirectory", Path.Combine(Path.GetTempPath(), "moco-router-complete-" + Guid.NewGuid().ToString("N")[..8])));
        _channel = GrpcChannel.ForAddress(_router.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _router.DisposeAsync();
        await _inference.DisposeAsync();
    }

    [Fact]
    public async Task Complete_nudges_each_input_as_the_library_does()
    {
        var context = new RouterContext { Method = "api_nudging", Seed = 9, Phase = "serve" };
        context.ModelNames.AddRange(["smoke-llama", "smoke-qwen2"]);
        context.Hyperparameters = new Struct
        {
            Fields = { ["max_response_length"] = Value.ForNumber(6), ["do_sample"] = Value.ForBool(false), ["gamma"] = Value.ForNumber(0.3) },
        };
        var request = new CompleteRequest { Context = context };
        request.Inputs.Add(new RouteInput { Index = 4, Prompt = "Say hello." });
        request.Inputs.Add(new RouteInput { Index = 7, Prompt = "Count to three." });
        using var call = new RouterService.RouterServiceClient(_channel).Complete(request);
        var items = (await call.ResponseStream.ReadAllAsync().ToListAsync()).Where(m => m.PayloadCase == CompleteResponse.PayloadOneofCase.Item)
            .Select(m => m.Item).OrderBy(i => i.Index).ToList();
        Assert.Equal([4, 7], items.Select(i => i.Index));
        var backend = new GrpcDecodeBackend(_inference.Client);
        foreach (var item in items)
        {
            var expected = await Nudging.RunAsync(backend, new NudgingSettings("smoke-llama", "smoke-qwen2", 0.3, 6, 0.7, false, false),
                item.Index == 4 ? "Say hello." : "Count to three.", 9, $"test/{item.Index}", default);
            Assert.Equal(expected.Text, item.Output);
            Assert.Equal(1, item.ModelsUsed[0]);
        }
    }
}
