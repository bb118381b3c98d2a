using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MoCo.Hosting;

/// <summary>
/// One MoCo.NET service as a library: what it registers and which gRPC endpoints it maps. A host process,
/// the CLI's embedded mode and the tests all run a service through the same module, so the code path a
/// laptop user runs is the one a cluster runs.
/// </summary>
public interface IMocoServiceModule
{
    /// <summary>Short name used on the command line and in logs: inference, router, evaluator, orchestrator, gateway.</summary>
    string Name { get; }

    /// <summary>Fully qualified gRPC service names this module serves (e.g. moco.v1.InferenceService); each is
    /// reported SERVING by grpc.health.v1 while the host's readiness checks pass.</summary>
    IReadOnlyList<string> GrpcServiceNames { get; }

    /// <summary>The contract's default ports (contracts.md §9), used when configuration names none.</summary>
    ServicePorts DefaultPorts { get; }

    /// <summary>Which of the standard endpoints the host maps for this module. The gateway answers health and
    /// reflection itself, for every backend service, so it opts out of the standard ones.</summary>
    HostFeatures Features => HostFeatures.Standard;

    /// <summary>Registers the module's services, options and readiness checks (tag them <see cref="MocoHost.ReadyTag"/>).</summary>
    void ConfigureServices(WebApplicationBuilder builder);

    /// <summary>Maps the module's gRPC services (or proxy routes) on the gRPC listener.</summary>
    void MapEndpoints(IEndpointRouteBuilder endpoints);

    /// <summary>Last say over the gRPC listener once the host has made it HTTP/2 (h2c). Runs when Kestrel binds,
    /// after <see cref="ConfigureServices"/>, so <see cref="ListenOptions.ApplicationServices"/> holds the module's
    /// registrations. Returns true when the listener now uses TLS, so the host reports an https address. Only the
    /// gateway, the one port clients reach from outside, offers TLS; backends stay h2c behind it.</summary>
    bool ConfigureGrpcListener(ListenOptions listen) => false;
}

/// <summary>The standard endpoints a host can map for a module.</summary>
[Flags]
public enum HostFeatures
{
    /// <summary>Nothing beyond the module's own endpoints and the admin port.</summary>
    None = 0,
    /// <summary>grpc.health.v1 backed by the host's health checks.</summary>
    GrpcHealth = 1,
    /// <summary>grpc.reflection (v1 and v1alpha) over the module's mapped gRPC services.</summary>
    GrpcReflection = 2,
    /// <summary>Both, the default for the four services.</summary>
    Standard = GrpcHealth | GrpcReflection,
}
