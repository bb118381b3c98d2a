using System.Globalization;
using System.Net;
using MoCo.Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.SessionAffinity;

namespace MoCo.Gateway.Routing;

/// <summary>
/// YARP routes and clusters for a <see cref="GatewayTopology"/> (contracts.md §9). One route per service path
/// prefix; inference has, per group, a route for calls pinned to one of its replicas (<c>moco-replica</c>), a route
/// for its models (<c>moco-model</c>), and one route without header match for the default group.
/// </summary>
internal static class ProxyConfigFactory
{
    /// <summary>Path readiness probes GET on each replica's admin listener.</summary>
    public const string ProbePath = "/readyz";

    // Lower Order wins. Every order is at most 0 because gRPC's catch-all "unimplemented service" endpoint has
    // order 0: a literal service prefix then beats its {service}/{method} pattern on route precedence.
    private const int PinnedOrder = -2;
    private const int ModelOrder = -1;
    private const int DefaultOrder = 0;

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(GatewayTopology topology)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var backend in topology.Backends)
        {
            var affinity = backend.Backend == GatewayBackends.Inference;
            foreach (var set in backend.Sets)
            {
                clusters.Add(Cluster(set, topology, affinity));
                if (affinity)
                {
                    // A replica id routes to its own group: a model made at run time has no group of its own.
                    routes.Add(Route($"{set.ClusterId}/pinned", backend, set, PinnedOrder,
                        Header(GatewayHeaders.Replica, set.Replicas.Select(r => r.Id))));
                    if (set.Models.Count > 0)
                    {
                        routes.Add(Route($"{set.ClusterId}/models", backend, set, ModelOrder, Header(GatewayHeaders.Model, set.Models)));
                    }
                }
            }
            routes.Add(Route(backend.Backend.Key, backend, backend.Default, DefaultOrder, header: null));
        }
        return (routes, clusters);
    }

    private static RouteConfig Route(string id, BackendPlan backend, ReplicaSetPlan set, int order, RouteHeader? header) => new()
    {
        RouteId = id,
        ClusterId = set.ClusterId,
        Order = order,
        Match = new RouteMatch
        {
            Path = backend.Backend.PathPattern,
            Headers = header is null ? null : [header],
        },
    };

    private static RouteHeader Header(string name, IEnumerable<string> values) => new()
    {
        Name = name,
        Values = [.. values],
        Mode = HeaderMatchMode.ExactHeader,
        IsCaseSensitive = true,
    };

    private static ClusterConfig Cluster(ReplicaSetPlan set, GatewayTopology topology, bool affinity)
    {
        var health = topology.HealthChecks;
        return new ClusterConfig
        {
            ClusterId = set.ClusterId,
            // Picks the less busy of two random healthy replicas: long streams (Decode, Evaluate) make in-flight
            // counts uneven, which round robin would ignore.
            LoadBalancingPolicy = LoadBalancingPolicies.PowerOfTwoChoices,
            SessionAffinity = affinity ? new SessionAffinityConfig
            {
                Enabled = true,
                Policy = ReplicaAffinityPolicy.PolicyName,
                FailurePolicy = SessionAffinityConstants.FailurePolicies.Redistribute,
                AffinityKeyName = GatewayHeaders.Replica,
            } : null,
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = health.Interval,
                    Timeout = health.Timeout,
                    Policy = "ConsecutiveFailures",
                    Path = ProbePath,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = health.Passive,
                    Policy = "TransportFailureRate",
                    ReactivationPeriod = health.ReactivationPeriod,
                },
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
            },
            HttpClient = new HttpClientConfig { EnableMultipleHttp2Connections = true },
            // h2c with prior knowledge: plain-text gRPC has no ALPN to negotiate with, and a downgrade to HTTP/1.1
            // would lose trailers and streaming.
            HttpRequest = new ForwarderRequestConfig
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                ActivityTimeout = topology.StreamIdleTimeout,
            },
            Metadata = new Dictionary<string, string>
            {
                [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = health.FailureThreshold.ToString(CultureInfo.InvariantCulture),
            },
            Destinations = set.Replicas.ToDictionary(r => r.Id, r => new DestinationConfig
            {
                Address = r.Address.ToString(),
                Health = r.Health.ToString(),
            }, StringComparer.OrdinalIgnoreCase),
        };
    }
}
