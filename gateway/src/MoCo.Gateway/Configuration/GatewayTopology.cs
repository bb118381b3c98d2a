namespace MoCo.Gateway.Configuration;

/// <summary>Validated <see cref="GatewayOptions"/>: what YARP's routes and clusters and the health service are built from.</summary>
internal sealed record GatewayTopology(IReadOnlyList<BackendPlan> Backends, GatewayHealthCheckOptions HealthChecks, TimeSpan StreamIdleTimeout);

/// <summary>A backend service with replicas: one replica set (YARP cluster) per inference group, one otherwise.</summary>
internal sealed record BackendPlan(GatewayBackend Backend, IReadOnlyList<ReplicaSetPlan> Sets, ReplicaSetPlan Default);

/// <summary>One YARP cluster. <paramref name="Group"/> and <paramref name="Models"/> are set for inference only.</summary>
internal sealed record ReplicaSetPlan(string ClusterId, string? Group, IReadOnlyList<string> Models, IReadOnlyList<ReplicaPlan> Replicas);

/// <summary>One destination. <paramref name="Id"/> is derived from the address, so it survives a reload of the
/// same replica list in another order and is the <c>moco-replica</c> value clients hold on to.</summary>
internal sealed record ReplicaPlan(string Id, Uri Address, Uri Health);
