using MoCo.Router.Decoding;
using MoCo.Testing.Inference;

namespace MoCo.Router.Tests;

/// <summary>The real inference service with the smoke models (one byte tokenizer: id b = byte b, so pieces are exact
/// bytes) and the router's Decode backend on it: the fixture of the token-level decoding tests, one host per class.</summary>
public sealed class SmokeDecoding : IAsyncLifetime
{
    private InferenceHost _host = null!;

    /// <summary>The Decode backend the token-level methods run on.</summary>
    public GrpcDecodeBackend Backend { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await InferenceHost.StartAsync(GoldenModels.SmokeModels);
        Backend = new GrpcDecodeBackend(_host.Client);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();
}
