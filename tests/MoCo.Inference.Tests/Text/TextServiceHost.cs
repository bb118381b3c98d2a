using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Testing;

namespace MoCo.Inference.Tests.Text;

/// <summary>An inference host on loopback serving the <see cref="TextModels"/> folder.</summary>
public sealed class TextServiceHost(TextModels models) : IAsyncLifetime
{
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;

    public InferenceService.InferenceServiceClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await LoopbackHost.StartAsync(new InferenceModule(), ("Moco:Inference:Device", "cpu"), ("Moco:Inference:ModelDirectories:0", models.Root));
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Client = new InferenceService.InferenceServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }
}
