using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MoCo.Hosting;

/// <summary>The two Kestrel listeners of a host. Kestrel writes the bound endpoint back into its ListenOptions,
/// so after start these give the real port even when port 0 asked for any free one.</summary>
internal sealed class BoundListeners(IPAddress bindAddress)
{
    public ListenOptions? Grpc { get; set; }
    public ListenOptions? Admin { get; set; }

    /// <summary>The module switched the gRPC listener to TLS (<see cref="IMocoServiceModule.ConfigureGrpcListener"/>).</summary>
    public bool GrpcTls { get; set; }

    public Uri GrpcAddress => AddressOf(Grpc, "gRPC", GrpcTls ? "https" : "http");
    public Uri AdminAddress => AddressOf(Admin, "admin", "http");

    private Uri AddressOf(ListenOptions? listen, string what, string scheme)
    {
        var endpoint = listen?.IPEndPoint ?? throw new InvalidOperationException($"The {what} listener is not bound yet.");
        // A wildcard bind is reachable from this machine on loopback; clients need a concrete address.
        var host = bindAddress.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        return new UriBuilder(scheme, host.ToString(), endpoint.Port).Uri;
    }
}
