using System.Globalization;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Inference;

namespace MoCo.Testing.Inference;

/// <summary>
/// The real inference service started in-process on loopback (free ports, CPU) over a models folder, usually a
/// <see cref="GoldenModels"/> one: a 1024-token KV cache, prefill chunks of 4 tokens (so the 8-token golden prompts
/// are chunked) and a queue of <see cref="QueueLimit"/>, unless the settings say otherwise. Every call it receives
/// is recorded in <see cref="Calls"/>. Dispose it to stop the host (the models folder is the caller's).
/// </summary>
public sealed class InferenceHost : IAsyncDisposable
{
    /// <summary>Requests a model may queue (Moco:Inference:MaxQueuedRequests) unless the settings say otherwise.</summary>
    public const int QueueLimit = 8;

    private readonly GrpcChannel _channel;

    private InferenceHost(RunningService service, InferenceCallLog calls)
    {
        Service = service;
        Calls = calls;
        _channel = GrpcChannel.ForAddress(service.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Client = new InferenceService.InferenceServiceClient(_channel);
    }

    /// <summary>The running host (its services, addresses, lifetime).</summary>
    public RunningService Service { get; }

    /// <summary>The gRPC address, e.g. for Moco:Evaluator:InferenceAddress.</summary>
    public string Address => Service.GrpcAddress.ToString();

    /// <summary>A client of the host.</summary>
    public InferenceService.InferenceServiceClient Client { get; }

    /// <summary>Every call received so far.</summary>
    public InferenceCallLog Calls { get; }

    /// <summary>Starts a host serving <paramref name="modelsRoot"/>; <paramref name="settings"/> (Moco:Inference:* and
    /// host keys) add to or replace the defaults.</summary>
    public static async Task<InferenceHost> StartAsync(string modelsRoot, params (string Key, string? Value)[] settings)
    {
        var calls = new InferenceCallLog();
        var service = await LoopbackHost.StartAsync(new InferenceModule(),
            builder => builder.Services.AddSingleton(calls).AddGrpc(o => o.Interceptors.Add<InferenceCallLog.Recorder>()),
            [
                ("Moco:Inference:Device", "cpu"),
                ("Moco:Inference:ModelDirectories:0", modelsRoot),
                ("Moco:Inference:KvCacheTokens", "1024"),
                ("Moco:Inference:StepTokens", "4"),
                ("Moco:Inference:MaxQueuedRequests", QueueLimit.ToString(CultureInfo.InvariantCulture)),
                .. settings,
            ]).ConfigureAwait(false);
        return new InferenceHost(service, calls);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await Service.DisposeAsync().ConfigureAwait(false);
    }
}
