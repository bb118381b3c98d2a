using Microsoft.Extensions.Diagnostics.HealthChecks;
using Yarp.ReverseProxy.Health;

namespace MoCo.Gateway.Health;

/// <summary>
/// The gateway's /readyz: ready once its first round of probes has run and some routed service has a healthy
/// replica. Degraded (still HTTP 200) while only some services do: a gateway that can serve the router but not
/// the evaluator should keep taking calls rather than leave clients with no gateway at all. The description
/// counts healthy replicas per service for the operator.
/// </summary>
internal sealed class GatewayReadinessCheck(BackendHealth health, IActiveHealthCheckMonitor probes) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!probes.InitialProbeCompleted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("probing the replicas for the first time"));
        }
        var snapshot = health.Current();
        var description = string.Join("; ", snapshot.Services.Select(s =>
            $"{s.Service}: {s.Replicas.Count(r => r.Healthy)} of {s.Replicas.Count} replicas ready"));
        var serving = snapshot.Services.Count(s => s.Serving);
        return Task.FromResult(serving == snapshot.Services.Count ? HealthCheckResult.Healthy(description)
            : serving > 0 ? HealthCheckResult.Degraded(description)
            : HealthCheckResult.Unhealthy(description));
    }
}
