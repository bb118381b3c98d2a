using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MoCo.Gateway.Routing;

namespace MoCo.Gateway.Health;

/// <summary>
/// Signals changes of <see cref="BackendHealth"/> to grpc.health.v1 Watch calls and logs each replica entering or
/// leaving rotation. YARP raises no event when a destination's health changes, so this polls: a quarter of the
/// probe interval (50 ms to 1 s) reports a change within a fraction of the probe round that caused it, at the
/// cost of reading a few dictionaries.
/// </summary>
internal sealed partial class BackendHealthMonitor(BackendHealth health, GatewayProxyConfig config, ILogger<BackendHealthMonitor> logger)
    : BackgroundService
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next change. Take it before reading the state, so no change falls in between.</summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = health.Current();
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(PollInterval(config.Topology.HealthChecks.Interval), stoppingToken).ConfigureAwait(false);
            var now = health.Current();
            if (now.Signature != last.Signature)
            {
                LogChanges(last, now);
                last = now;
                Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    private void LogChanges(GatewayHealthSnapshot before, GatewayHealthSnapshot after)
    {
        var previous = before.Services.SelectMany(s => s.Replicas.Select(r => (s.Service, r))).ToDictionary(p => (p.Service, p.r.Id), p => p.r);
        foreach (var service in after.Services)
        {
            foreach (var replica in service.Replicas)
            {
                previous.TryGetValue((service.Service, replica.Id), out var was);
                if (was?.Healthy == replica.Healthy)
                {
                    continue;
                }
                if (replica.Healthy)
                {
                    LogInRotation(service.Service, replica.Id, replica.Address);
                }
                else if (was is not null)
                {
                    LogOutOfRotation(service.Service, replica.Id, replica.Address, replica.State);
                }
            }
            if (before.Find(service.Service)?.Serving != service.Serving)
            {
                LogServing(service.Service, service.Serving ? "SERVING" : "NOT_SERVING");
            }
        }
    }

    private static TimeSpan PollInterval(TimeSpan probeInterval) =>
        TimeSpan.FromTicks(Math.Clamp(probeInterval.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service}: replica {Replica} ({Address}) is in rotation")]
    private partial void LogInRotation(string service, string replica, Uri address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: replica {Replica} ({Address}) left rotation: {State}")]
    private partial void LogOutOfRotation(string service, string replica, Uri address, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service} is {Status} through the gateway")]
    private partial void LogServing(string service, string status);
}
