using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Gateway.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.SessionAffinity;

namespace MoCo.Gateway.Routing;

/// <summary>YARP as the gateway uses it: configuration from <see cref="GatewayProxyConfig"/>, replica affinity,
/// HTTP/1.1 probes of the admin listeners, and gRPC statuses for calls it cannot forward.</summary>
internal static class GatewayProxyRegistration
{
    public static void AddGatewayProxy(this IServiceCollection services, GatewayProxyConfig config)
    {
        services.AddSingleton(config);
        services.AddSingleton<IProxyConfigProvider>(config);
        services.AddReverseProxy()
            .ConfigureHttpClient((_, handler) =>
            {
                // Pings on idle HTTP/2 connections find a replica that vanished without closing its sockets,
                // long before StreamIdleTimeout would give up on a quiet stream.
                handler.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
                handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
                handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
            });
        services.Replace(ServiceDescriptor.Singleton<IProbingRequestFactory, AdminProbeRequestFactory>());

        // YARP's own affinity policies (cookies, CustomHeader) protect their keys with ASP.NET Data Protection,
        // whose hosted service writes a key ring under $HOME at start. The gateway pins by ReplicaAffinityPolicy
        // only, so both go: no key files, no unencrypted-key warning, nothing to share between gateway replicas.
        services.RemoveAll<ISessionAffinityPolicy>();
        services.AddSingleton<ISessionAffinityPolicy, ReplicaAffinityPolicy>();
        foreach (var keyRingLoader in services.Where(d => d.ServiceType == typeof(IHostedService)
                     && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList())
        {
            services.Remove(keyRingLoader);
        }
    }

    public static void MapGatewayProxy(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapReverseProxy(proxy =>
        {
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
            proxy.Use(ProxyFailureResponder.InvokeAsync);
        }).RequireBearerToken();
}
