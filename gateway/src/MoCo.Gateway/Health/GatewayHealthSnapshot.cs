namespace MoCo.Gateway.Health;

/// <summary>How the gateway sees each routed backend service at one moment.</summary>
public sealed record GatewayHealthSnapshot(IReadOnlyList<ServiceHealth> Services)
{
    /// <summary>Every routed service has a replica in rotation: what grpc.health.v1 reports for "".</summary>
    public bool AllServing => Services.All(s => s.Serving);

    /// <summary>The routed service named <paramref name="service"/> (e.g. moco.v1.RouterService), or null.</summary>
    public ServiceHealth? Find(string service) => Services.FirstOrDefault(s => s.Service == service);

    /// <summary>Equal for two snapshots that would report the same thing, replica by replica.</summary>
    internal string Signature { get; } = string.Join(';', Services.SelectMany(s => s.Replicas.Select(r => $"{s.Service}/{r.Id}={r.State}")));
}

/// <summary>One backend service: SERVING iff one of its replicas, in any group, is healthy.</summary>
public sealed record ServiceHealth(string Service, IReadOnlyList<ReplicaHealth> Replicas)
{
    /// <summary>Whether the service has a healthy replica.</summary>
    public bool Serving => Replicas.Any(r => r.Healthy);
}

/// <summary>One replica. Healthy means its last probes of /readyz passed (<see cref="Configuration.GatewayHealthCheckOptions"/>)
/// and calls to it are not failing; a replica not probed yet is not counted healthy, though YARP already sends it calls.</summary>
/// <param name="Id">The destination id, also the <c>moco-replica</c> header value.</param>
/// <param name="Group">The inference group; null for other services.</param>
/// <param name="Address">The replica's gRPC address.</param>
/// <param name="Healthy">Whether it counts toward SERVING.</param>
/// <param name="State">In words: ready, not ready, not probed yet, failing calls.</param>
public sealed record ReplicaHealth(string Id, string? Group, Uri Address, bool Healthy, string State);
