using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Health;
using MoCo.Gateway.Reflection;
using MoCo.Gateway.Routing;
using MoCo.Gateway.Security;
using MoCo.Hosting;
using MoCo.Hosting.Security;
using FileDescriptor = Google.Protobuf.Reflection.FileDescriptor;

namespace MoCo.Gateway;

/// <summary>
/// The gateway as a MoCo.NET service: one gRPC address for every moco.v1 service, forwarding with YARP by
/// service path and, for inference, by model to replica groups, health-checked, load-balanced and pinned by
/// <c>moco-replica</c> (contracts.md §9); with Moco:Gateway:Auth it forwards only calls bearing an accepted token
/// (grpc.health.v1 stays open for load balancers). It answers grpc.health.v1 and reflection itself, hence
/// <see cref="Features"/> None, and keeps the admin listener with /healthz, /readyz and /metrics.
/// </summary>
/// <param name="contracts">The compiled contracts reflection serves, e.g. MoCo.Contracts.V1.InferenceReflection.Descriptor
/// and its siblings; the library takes them from its caller so it need not reference MoCo.Contracts.</param>
/// <param name="options">The routing in code (embedded mode: <see cref="GatewayOptions.ForServices"/>); null binds
/// the configuration section Moco:Gateway.</param>
public sealed class GatewayModule(IEnumerable<FileDescriptor> contracts, GatewayOptions? options = null) : IMocoServiceModule
{
    private readonly IReadOnlyList<FileDescriptor> _contracts = [.. contracts];
    private GatewayTopology? _topology;

    /// <inheritdoc/>
    public string Name => "gateway";

    /// <summary>The routed moco.v1 services once <see cref="ConfigureServices"/> has read the options; before that,
    /// all four. The gateway's health service answers for each.</summary>
    public IReadOnlyList<string> GrpcServiceNames =>
        [.. (_topology?.Backends.Select(b => b.Backend) ?? GatewayBackends.All).Select(b => b.ServiceName)];

    /// <inheritdoc/>
    public ServicePorts DefaultPorts => ServicePorts.Gateway;

    /// <inheritdoc/>
    public HostFeatures Features => HostFeatures.None;

    /// <summary>Reads and validates the options (a <see cref="MocoConfigurationException"/> names the bad key), loads
    /// the TLS certificate, and registers YARP, the health answers and reflection.</summary>
    public void ConfigureServices(WebApplicationBuilder builder)
    {
        var resolved = options ?? builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        var topology = GatewayOptionsValidator.Validate(resolved);
        builder.Services.AddSingleton(GatewayCertificate.Load(resolved.Tls));
        builder.Services.AddSingleton(BearerTokens.Load(resolved.Auth.TokensFile, GatewayAuthOptions.TokensFileKey));
        _topology = topology;

        var proxyConfig = new GatewayProxyConfig(topology);
        builder.Services.AddGatewayProxy(proxyConfig);
        builder.Services.AddGatewayHealth(proxyConfig);
        builder.Services.AddGatewayReflection(_contracts);
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGatewayHealth();
        endpoints.MapGatewayReflection();
        endpoints.MapGatewayProxy();
    }

    /// <summary>Serves HTTP/2 over TLS when Moco:Gateway:Tls names a certificate; h2c otherwise.</summary>
    public bool ConfigureGrpcListener(ListenOptions listen)
    {
        var certificate = listen.ApplicationServices.GetRequiredService<GatewayCertificate>().Certificate;
        if (certificate is null)
        {
            return false;
        }
        listen.UseHttps(certificate);
        return true;
    }
}
