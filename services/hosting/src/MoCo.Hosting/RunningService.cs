using Microsoft.AspNetCore.Builder;

namespace MoCo.Hosting;

/// <summary>A started host with the addresses it actually bound (ephemeral ports resolved).</summary>
public sealed class RunningService : IAsyncDisposable
{
    internal RunningService(IMocoServiceModule module, WebApplication app, Uri grpcAddress, Uri adminAddress)
    {
        Module = module;
        App = app;
        GrpcAddress = grpcAddress;
        AdminAddress = adminAddress;
    }

    /// <summary>The module this host runs.</summary>
    public IMocoServiceModule Module { get; }

    /// <summary>The ASP.NET Core application, for its services and lifetime.</summary>
    public WebApplication App { get; }

    /// <summary>Address of the gRPC listener, e.g. http://127.0.0.1:50051 (h2c), or https:// when the module enabled TLS.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>HTTP/1.1 address of the admin listener, e.g. http://127.0.0.1:9051.</summary>
    public Uri AdminAddress { get; }

    /// <summary>Stops accepting calls, drains in-flight ones within the shutdown timeout, then stops.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await App.DisposeAsync().ConfigureAwait(false);
        }
    }
}
