namespace MoCo.Gateway.Configuration;

/// <summary>
/// How the gateway decides which replicas receive calls. Active: every <see cref="Interval"/> it GETs each
/// replica's /readyz on the admin listener; <see cref="FailureThreshold"/> failed probes in a row take a replica
/// out of rotation and one success brings it back. Passive: a replica whose calls fail at the transport level
/// (refused, reset) at a high rate is taken out for <see cref="ReactivationPeriod"/> without waiting for a probe.
/// </summary>
public sealed class GatewayHealthCheckOptions
{
    /// <summary>Time between two probes of a replica. Default 5 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A probe not answered within this counts as failed. Default 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row that mark a replica unhealthy. Default 2.</summary>
    public int FailureThreshold { get; set; } = 2;

    /// <summary>Whether transport failures of forwarded calls mark a replica unhealthy between probes. Default true.</summary>
    public bool Passive { get; set; } = true;

    /// <summary>How long a replica marked unhealthy by passive checks stays out. Default 30 s.</summary>
    public TimeSpan ReactivationPeriod { get; set; } = TimeSpan.FromSeconds(30);
}
