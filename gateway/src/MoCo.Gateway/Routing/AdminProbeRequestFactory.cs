using System.Net;
using MoCo.Hosting;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace MoCo.Gateway.Routing;

/// <summary>
/// Active health probes over HTTP/1.1. YARP's default probe copies the cluster's request version, which for the
/// gateway is HTTP/2 without downgrade (h2c); the admin listener speaks HTTP/1.1 only (contracts.md §9), so those
/// probes would all fail and every replica would look down.
/// </summary>
internal sealed class AdminProbeRequestFactory : IProbingRequestFactory
{
    private static readonly string UserAgent = $"moco-gateway/{MocoInfo.Version} (health probe)";

    public HttpRequestMessage CreateRequest(ClusterModel cluster, DestinationModel destination)
    {
        var admin = new Uri(destination.Config.Health ?? destination.Config.Address);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(admin, cluster.Config.HealthCheck?.Active?.Path ?? ProxyConfigFactory.ProbePath))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.UserAgent.ParseAdd(UserAgent);
        return request;
    }
}
