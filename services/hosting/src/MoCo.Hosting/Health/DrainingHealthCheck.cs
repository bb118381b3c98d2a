using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace MoCo.Hosting.Health;

/// <summary>Readiness turns unhealthy the moment shutdown begins, so the gateway's active health check takes
/// a draining replica out of rotation while its in-flight calls finish.</summary>
internal sealed class DrainingHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("shutting down: draining in-flight calls")
            : HealthCheckResult.Healthy("accepting calls"));
}
