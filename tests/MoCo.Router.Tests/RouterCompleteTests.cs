using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Router.Decoding;
using MoCo.Testing;
using MoCo.Testing.Inference;

namespace MoCo.Router.Tests;

/// <summary>The router service answering Complete for the methods that need no fitted router (api_nudging,
/// api_mentor_collab; methods-api.md §0.11) and for a stored api_collm generator (§8) over the real inference service:
/// each item is what the library decodes for it; mentor collaboration's train mode judges with the judge registered for
/// the generator, and a generator without one is refused naming it.</summary>
public sealed class RouterCompleteTests : IAsyncLifetime
{
    private readonly string _judges = Path.Combine(Path.GetTempPath(), "moco-router-judges-" + Guid.NewGuid().ToString("N")[..8]);
    private InferenceHost _inference = null!;
    private RunningService _router = null!;
    private GrpcChannel _channel = null!;
    private readonly string _store = Path.Combine(Path.GetTempPath(), "moco-router-complete-" + Guid.NewGuid().ToString("N")[..8]);

    public async Task InitializeAsync()
    {
        _inference = await InferenceHost.StartAsync(GoldenModels.SmokeModels);
        _router = await LoopbackHost.StartAsync(new RouterModule(), ("Moco:Router:InferenceAddress", _inference.Address), ("Moco:Router:StoreDirectory", _store),
            ("Moco:Router:MentorMlpDirectory", _judges));
        _channel = GrpcChannel.ForAddress(_router.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _router.DisposeAsync();
        await _inference.DisposeAsync();
        if (Directory.Exists(_judges))
        {
            Directory.Delete(_judges, recursive: true);
        }
    }

    private async Task<List<CompletedItem>> CompleteAsync(RouterContext context, params string[] prompts)
    {
        var request = new CompleteRequest { Context = context };
        request.Inputs.AddRange(prompts.Select((p, i) => new RouteInput { Index = i, Prompt = p }));
        using var call = new RouterService.RouterServiceClient(_channel).Complete(request);
        return [.. (await call.ResponseStream.ReadAllAsync().ToListAsync()).Where(m => m.PayloadCase == CompleteResponse.PayloadOneofCase.Item)
            .Select(m => m.Item).OrderBy(i => i.Index)];
    }

    private static RouterContext MentorContext(string mode, string generator = "smoke-llama")
    {
        var context = new RouterContext { Method = "api_mentor_collab", Seed = 5 };
        context.ModelNames.AddRange([generator, "smoke-mistral"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["max_response_length"] = Value.ForNumber(12), ["decision_proportion"] = Value.ForNumber(100), ["patch_size"] = Value.ForNumber(4),
                ["mode"] = Value.ForString(mode), ["mlp_threshold"] = Value.ForNumber(1.0),
            },
        };
        return context;
    }

    [Fact]
    public async Task Complete_decodes_mentor_collaboration_free_and_train_as_the_library_does()
    {
        const string Prompt = "Question: name a prime number.\nAnswer:";
        var backend = new GrpcDecodeBackend(_inference.Client);
        var free = Assert.Single(await CompleteAsync(MentorContext("free"), Prompt));
        var expected = await MentorCollab.RunAsync(backend, new MentorSettings("smoke-llama", "smoke-mistral", 100, false, 4, 12), Prompt, 5, "test/0", default);
        Assert.Equal(expected.Text, free.Output);
        Assert.Equal(expected.Divergences, (int)free.Extras.Fields["divergences"].NumberValue);

        // Train mode with the generator's registered judge: its sigmoid never exceeds mlp_threshold 1.0, so every
        // divergence takes the mentor's patch.
        var judge = MentorMlpTests.Synthetic(32, (name, i) => (float)Math.Cos(name.Length * 7 + i) / 8, 0.2f);
        new MentorMlpRegistry(_judges).Save("smoke-llama", "General", judge);
        var train = Assert.Single(await CompleteAsync(MentorContext("train"), Prompt));
        var divergences = (int)train.Extras.Fields["divergences"].NumberValue;
        Assert.True(divergences > 0, "the smoke models' next words differ somewhere");
        Assert.Equal(divergences, (int)train.Extras.Fields["mentor_patches"].NumberValue);
        Assert.Equal([0, 1], train.ModelsUsed);
        var trained = await MentorCollab.RunAsync(backend, new MentorSettings("smoke-llama", "smoke-mistral", 100, false, 4, 12, judge, 1.0), Prompt, 5, "test/0", default);
        Assert.Equal(trained.Text, train.Output);

        var missing = await Assert.ThrowsAsync<RpcException>(() => CompleteAsync(MentorContext("train", "smoke-qwen2"), Prompt));
        Assert.Equal(StatusCode.FailedPrecondition, missing.StatusCode);
        Assert.Contains("\"smoke-qwen2\"", missing.Status.Detail, StringComparison.Ordinal);
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
