using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Gateway.Routing;
using MoCo.Hosting;
using Yarp.ReverseProxy;

namespace MoCo.Gateway.Health;

/// <summary>The gateway's answers about its backends: <see cref="BackendHealth"/>, grpc.health.v1 with Watch, and /readyz.</summary>
internal static class GatewayHealthRegistration
{
    public static void AddGatewayHealth(this IServiceCollection services, GatewayProxyConfig config)
    {
        services.AddSingleton(sp => new BackendHealth(config, sp.GetRequiredService<IProxyStateLookup>()));
        services.AddSingleton<BackendHealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<BackendHealthMonitor>());
        services.AddSingleton<GatewayHealthService>();
        services.AddHealthChecks().AddCheck<GatewayReadinessCheck>("backends", tags: [MocoHost.ReadyTag]);
    }

    public static void MapGatewayHealth(this IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<GatewayHealthService>();
}
