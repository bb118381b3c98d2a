using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using MoCo.Hosting.Telemetry;
using MoCo.Inference.Registry;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// The inference service's load gauges (meter "MoCo.Inference", exported at /metrics on the admin port as
/// <c>moco_inference_queued_requests</c> and <c>moco_inference_running_sequences</c>, by model): what an autoscaler
/// scales an inference group on (deploy/helm: the group's HorizontalPodAutoscaler through the Prometheus adapter) and
/// what an operator reads when latency climbs. A hosted service only so the gauges exist from the host's start.
/// </summary>
public sealed class LoadMetrics : IHostedService, IDisposable
{
    /// <summary>Name of the queued-requests gauge.</summary>
    public const string Queued = "moco.inference.queued_requests";

    /// <summary>Name of the running-sequences gauge.</summary>
    public const string Running = "moco.inference.running_sequences";

    private readonly Meter _meter = MocoTelemetry.Meter("Inference");

    /// <summary>Observes the schedulers of <paramref name="registry"/>'s resident models.</summary>
    public LoadMetrics(ModelRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _meter.CreateObservableGauge(Queued, () => Observe(registry, load => load.Queued), "{request}",
            "Requests waiting for admission, by resident model");
        _meter.CreateObservableGauge(Running, () => Observe(registry, load => load.Running), "{sequence}",
            "Sequences generating, by resident model");
    }

    /// <summary>The meter the gauges belong to.</summary>
    public Meter Meter => _meter;

    private static IEnumerable<Measurement<int>> Observe(ModelRegistry registry, Func<(int Queued, int Running), int> value) =>
        registry.Resident.Select(m => (Model: m.Resolution.Name, Load: m.Scheduler.Load()))
            .Where(m => m.Load is not null)
            .Select(m => new Measurement<int>(value(m.Load!.Value), new KeyValuePair<string, object?>("model", m.Model)));

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
