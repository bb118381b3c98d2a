using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoCo.Hosting;

namespace MoCo.Cli.Embedded;

/// <summary>
/// Several services hosted in this process (embedded mode): each module on its own listeners, started in
/// catalogue order and stopped in reverse. The cluster owns SIGINT/SIGTERM for all of them (see
/// <see cref="EmbeddedLifetime"/>).
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly List<RunningService> _services = [];

    private EmbeddedCluster()
    {
    }

    /// <summary>The running services in start order.</summary>
    public IReadOnlyList<RunningService> Services => _services;

    /// <summary>Starts <paramref name="names"/>; one failing to start stops those already started.</summary>
    public static async Task<EmbeddedCluster> StartAsync(IEnumerable<string> names, ServeSettings settings, bool singleService, CancellationToken cancel)
    {
        var cluster = new EmbeddedCluster();
        try
        {
            foreach (var name in names)
            {
                // One service keeps the ports it was given (contract defaults otherwise); several share a
                // process on loopback with free ports, since their defaults are meant for separate hosts.
                var values = singleService
                    ? settings.ToConfiguration(settings.BindAddress, settings.GrpcPort, settings.AdminPort)
                    : settings.ToConfiguration(settings.BindAddress ?? "127.0.0.1", 0, 0);
                cluster._services.Add(await MocoHost.StartAsync(ServiceCatalog.Create(name), configure: b =>
                {
                    b.Configuration.AddInMemoryCollection(values);
                    b.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
                }, cancellationToken: cancel).ConfigureAwait(false));
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Asks each service's grpc.health.v1 for its own service names; returns one line per check.</summary>
    public async Task<IReadOnlyList<(string Service, bool Serving, string Detail)>> CheckHealthAsync(CancellationToken cancel)
    {
        var results = new List<(string, bool, string)>();
        foreach (var service in _services)
        {
            using var channel = GrpcChannel.ForAddress(service.GrpcAddress);
            var health = new Health.HealthClient(channel);
            foreach (var name in service.Module.GrpcServiceNames)
            {
                try
                {
                    var reply = await health.CheckAsync(new HealthCheckRequest { Service = name },
                        deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancel).ConfigureAwait(false);
                    results.Add((name, reply.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{reply.Status} at {service.GrpcAddress}"));
                }
                catch (Grpc.Core.RpcException e)
                {
                    results.Add((name, false, $"{e.StatusCode}: {e.Status.Detail}"));
                }
            }
        }
        return results;
    }

    /// <summary>Stops every service, last started first, each draining its in-flight calls.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _services.Count - 1; i >= 0; i--)
        {
            await _services[i].DisposeAsync().ConfigureAwait(false);
        }
        _services.Clear();
    }
}
