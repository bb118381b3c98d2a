using Microsoft.Extensions.Hosting;

namespace MoCo.Cli.Embedded;

/// <summary>Several hosts share one process in embedded mode; none may react to SIGINT/SIGTERM on its own, or
/// they would stop in random order. The cluster owns the signals and stops the gateway first, then the backends.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
