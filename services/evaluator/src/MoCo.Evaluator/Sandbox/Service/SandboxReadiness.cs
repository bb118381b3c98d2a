using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MoCo.Evaluator.Sandbox.Service;

/// <summary>/readyz and grpc.health of the sandbox service: ready once a probe program has run the way every program
/// will (default limits, the interpreter found here), so a pod that cannot sandbox anything takes no traffic and
/// says why.</summary>
public sealed class SandboxReadiness(LocalSandbox sandbox) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var session = await sandbox.PrepareAsync(new SandboxLimits(), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(session.Describe());
        }
        catch (Errors.EvaluatorException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
