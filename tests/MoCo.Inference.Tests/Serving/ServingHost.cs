using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Inference.Registry;
using MoCo.Inference.Scheduling;
using MoCo.Testing;

namespace MoCo.Inference.Tests.Serving;

/// <summary>An inference host on loopback serving <see cref="GoldenModels"/>: a small KV cache, prefill chunks of 4
/// tokens (so the 8-token golden prompts are chunked), a queue of 8.</summary>
public sealed class ServingHost : IAsyncLifetime
{
    public const int QueueLimit = 8;
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;

    public GoldenModels Models { get; } = new();

    public InferenceService.InferenceServiceClient Client { get; private set; } = null!;

    public ModelRegistry Registry => _host.App.Services.GetRequiredService<ModelRegistry>();

    public async Task InitializeAsync()
    {
        _host = await StartAsync(Models.Root);
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Client = new InferenceService.InferenceServiceClient(_channel);
    }

    public static Task<RunningService> StartAsync(string root, params (string Key, string? Value)[] extra) =>
        LoopbackHost.StartAsync(new InferenceModule(), [
            ("Moco:Inference:Device", "cpu"),
            ("Moco:Inference:ModelDirectories:0", root),
            ("Moco:Inference:KvCacheTokens", "1024"),
            ("Moco:Inference:StepTokens", "4"),
            ("Moco:Inference:MaxQueuedRequests", QueueLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            .. extra]);

    /// <summary>Holds the loop of a resident model.</summary>
    internal SchedulerHold Hold(string model) => Registry.Acquire(model).Base.Scheduler.Hold();

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        Models.Dispose();
    }
}

/// <summary>A Generate stream read to its end.</summary>
public sealed record Generation(GenerateHeader Header, List<GenerateDelta> Deltas, List<GenerateFinal> Finals)
{
    /// <summary>Reads the rest of <paramref name="call"/>; <paramref name="header"/> when the test already read it.</summary>
    public static async Task<Generation> ReadAsync(AsyncServerStreamingCall<GenerateResponse> call, GenerateHeader? header = null)
    {
        var deltas = new List<GenerateDelta>();
        var finals = new List<GenerateFinal>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            switch (message.PayloadCase)
            {
                case GenerateResponse.PayloadOneofCase.Header:
                    Assert.Null(header);
                    header = message.Header;
                    break;
                case GenerateResponse.PayloadOneofCase.Delta:
                    Assert.NotNull(header);
                    deltas.Add(message.Delta);
                    break;
                default:
                    finals.Add(message.Final);
                    break;
            }
        }
        return new Generation(header!, deltas, [.. finals.OrderBy(f => f.SampleIndex)]);
    }

    public static async Task<Generation> RunAsync(InferenceService.InferenceServiceClient client, GenerateRequest request)
    {
        using var call = client.Generate(request);
        return await ReadAsync(call);
    }

    public IEnumerable<GenerateDelta> Of(int sample) => Deltas.Where(d => d.SampleIndex == sample);
}

[CollectionDefinition(Name)]
public sealed class ServingCollection : ICollectionFixture<ServingHost>
{
    public const string Name = "serving host";
}
