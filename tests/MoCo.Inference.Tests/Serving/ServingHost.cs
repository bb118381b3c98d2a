using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Scheduling;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Serving;

/// <summary>The shared <see cref="InferenceHost"/> over <see cref="GoldenModels"/>, plus what only these tests reach:
/// the registry and a model's scheduling loop.</summary>
public sealed class ServingHost : IAsyncLifetime
{
    private InferenceHost _host = null!;

    public GoldenModels Models { get; } = new();

    public InferenceService.InferenceServiceClient Client => _host.Client;

    public ModelRegistry Registry => _host.Service.App.Services.GetRequiredService<ModelRegistry>();

    /// <summary>The host's admin listener (/metrics).</summary>
    public Uri AdminAddress => _host.Service.AdminAddress;

    /// <summary>The host's load gauges.</summary>
    public LoadMetrics LoadMetrics => _host.Service.App.Services.GetRequiredService<LoadMetrics>();

    public async Task InitializeAsync() => _host = await InferenceHost.StartAsync(Models.Root);

    /// <summary>Holds the loop of a resident model.</summary>
    internal SchedulerHold Hold(string model) => Registry.Acquire(model).Base.Scheduler.Hold();

    public async Task DisposeAsync()
    {
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
