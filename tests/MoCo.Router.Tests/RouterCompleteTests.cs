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
/// §0.11) and for a stored api_collm generator (§8) over the real inference service: each item is what the nudging or
/// deferral library decodes for it.</summary>
public sealed class RouterCompleteTests : IAsyncLifetime
{
    private InferenceHost _inference = null!;
    private RunningService _router = null!;
    private GrpcChannel _channel = null!;
    private readonly string _store = Path.Combine(Path.GetTempPath(), "moco-router-complete-" + Guid.NewGuid().ToString("N")[..8]);

    public async Task InitializeAsync()
    {
        _inference = await InferenceHost.StartAsync(Path.GetFullPath(Path.Combine(GoldenModels.GoldenRoot, "..", "..", "..", "..", "..", "..", "examples", "smoke", "models")));
        _router = await LoopbackHost.StartAsync(new RouterModule(), ("Moco:Router:InferenceAddress", _inference.Address), ("Moco:Router:StoreDirectory", _store));
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

    [Fact]
    public async Task Complete_serves_a_stored_collm_generator_with_the_requests_thresholds_and_route_does_not()
    {
        // A run stores its trained generator; the smoke model's last id stands in for the trained entry.
        var router = new MoCo.Router.Store.RouterStore(_store).Save("api_collm", ["smoke-llama", "smoke-qwen2"], "run-1", "run/run-1",
            new System.Text.Json.Nodes.JsonObject { ["kind"] = "collm", ["generator"] = "smoke-llama", ["defer_id"] = 255 }, "smoke-llama");
        var context = new RouterContext { Method = "api_collm", Phase = "serve" };
        context.ModelNames.AddRange(["smoke-llama", "smoke-qwen2"]);
        context.Hyperparameters = new Struct { Fields = { ["max_response_length"] = Value.ForNumber(5), ["deferral_threshold"] = Value.ForNumber(-1) } };
        var request = new CompleteRequest { Context = context, RouterId = router.RouterId };
        request.Inputs.Add(new RouteInput { Index = 3, Prompt = "2 + 2?" });
        var client = new RouterService.RouterServiceClient(_channel);
        using var call = client.Complete(request);
        var item = (await call.ResponseStream.ReadAllAsync().ToListAsync()).Single(m => m.PayloadCase == CompleteResponse.PayloadOneofCase.Item).Item;

        var backend = new GrpcDecodeBackend(_inference.Client);
        var prompt = await backend.TokenizeChatAsync("smoke-llama", CoLlmDecoding.Prompt("2 + 2?"), true, default);
        var expected = await CoLlmDecoding.RunAsync(backend, new CoLlmSettings("smoke-llama", "smoke-qwen2", 255, 255, new CoLlmThresholds(-1, "none", 15, 5), false, 5),
            prompt.Ids, "check", default);
        Assert.Equal((3, expected.Text), (item.Index, item.Output));
        Assert.Equal(expected.Deferred, (int)item.Extras.Fields["deferred_tokens"].NumberValue);
        Assert.Equal([0, 1], item.ModelsUsed);

        var route = new RouteRequest { Context = context, RouterId = router.RouterId };
        route.Inputs.Add(new RouteInput { Index = 0, Prompt = "x" });
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(async () => await client.RouteAsync(route))).StatusCode);
    }
}
