using MoCo.Gateway.Configuration;
using MoCo.Gateway.Routing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace MoCo.Gateway.Health;

/// <summary>
/// Reads YARP's health state of every configured replica. The gateway's grpc.health.v1, its /readyz and tools
/// such as <c>moco doctor</c> all answer from it, so they agree with where calls actually go. Resolve it from
/// the gateway host's services.
/// </summary>
public sealed class BackendHealth
{
    private readonly GatewayProxyConfig _config;
    private readonly IProxyStateLookup _proxy;

    internal BackendHealth(GatewayProxyConfig config, IProxyStateLookup proxy)
    {
        _config = config;
        _proxy = proxy;
    }

    /// <summary>The state now.</summary>
    public GatewayHealthSnapshot Current()
    {
        var services = new List<ServiceHealth>();
        foreach (var backend in _config.Topology.Backends)
        {
            var replicas = new List<ReplicaHealth>();
            foreach (var set in backend.Sets)
            {
                _proxy.TryGetCluster(set.ClusterId, out var cluster);
                foreach (var replica in set.Replicas)
                {
                    DestinationState? destination = null;
                    cluster?.Destinations.TryGetValue(replica.Id, out destination);
                    var (healthy, state) = Describe(destination);
                    replicas.Add(new ReplicaHealth(replica.Id, set.Group, replica.Address, healthy, state));
                }
            }
            services.Add(new ServiceHealth(backend.Backend.ServiceName, replicas));
        }
        return new GatewayHealthSnapshot(services);
    }

    // Active probes are the source of truth; passive failures veto them until their reactivation period ends.
    private static (bool Healthy, string State) Describe(DestinationState? destination) => destination?.Health switch
    {
        null => (false, "not in the proxy yet"),
        { Passive: DestinationHealth.Unhealthy } => (false, "failing calls"),
        { Active: DestinationHealth.Healthy } => (true, "ready"),
        { Active: DestinationHealth.Unhealthy } => (false, "not ready"),
        _ => (false, "not probed yet"),
    };
}
