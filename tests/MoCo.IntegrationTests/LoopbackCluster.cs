using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Cli.Embedded;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Health;
using MoCo.Hosting;
using MoCo.Testing;

namespace MoCo.IntegrationTests;

/// <summary>
/// Two inference replicas, one router, evaluator and orchestrator, and the gateway in front, each a real host on
/// loopback with free ports; the gateway is the one built for `moco serve all`, probing every 200 ms so health
/// changes show within a second. The router generates on the first inference replica and reads dev views from the evaluator.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly List<RunningService> _backends;
    private readonly HashSet<RunningService> _stopped = [];

    private LoopbackCluster(List<RunningService> backends, RunningService gateway)
    {
        _backends = backends;
        Gateway = gateway;
        Channel = GrpcChannel.ForAddress(gateway.GrpcAddress);
    }

    /// <summary>The two inference replicas.</summary>
    public IReadOnlyList<RunningService> Inference => [.. _backends.Where(b => b.Module.Name == "inference")];

    /// <summary>The router service.</summary>
    public RunningService Router => _backends.Single(b => b.Module.Name == "router");

    /// <summary>The gateway.</summary>
    public RunningService Gateway { get; }

    /// <summary>A channel to the gateway, the only address a client uses.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Starts the backends, each with the extra configuration <paramref name="settings"/> (e.g. the inference
    /// models folder, the router store), then the gateway routing to them.</summary>
    public static async Task<LoopbackCluster> StartAsync(params (string Key, string? Value)[] settings)
    {
        var backends = new List<RunningService>();
        foreach (var name in new[] { "inference", "inference", "evaluator", "router", "orchestrator" })
        {
            (string, string?)[] values = name == "router"
                ? [.. settings, ("Moco:Router:InferenceAddress", backends.First(b => b.Module.Name == "inference").GrpcAddress.ToString()),
                    ("Moco:Router:EvaluatorAddress", backends.Single(b => b.Module.Name == "evaluator").GrpcAddress.ToString())]
                : settings;
            backends.Add(await LoopbackHost.StartAsync(ServiceCatalog.Create(name), values));
        }
        var options = GatewayOptions.ForServices(backends);
        options.HealthChecks.Interval = TimeSpan.FromMilliseconds(200);
        options.HealthChecks.Timeout = TimeSpan.FromSeconds(1);
        var gateway = await LoopbackHost.StartAsync(new GatewayModule(ServiceCatalog.Contracts, options));
        var cluster = new LoopbackCluster(backends, gateway);
        await cluster.UntilAsync(backends, healthy: true);
        return cluster;
    }

    /// <summary>Stops one backend as a crash would look to the gateway (its listeners close).</summary>
    public async Task StopAsync(RunningService backend)
    {
        _stopped.Add(backend);
        await backend.DisposeAsync();
    }

    /// <summary>Waits until the gateway's probes agree that each of <paramref name="backends"/> is in (or out of)
    /// rotation.</summary>
    public Task UntilAsync(IEnumerable<RunningService> backends, bool healthy) => UntilAsync(Gateway, backends, healthy);

    /// <summary>Waits until the probes of <paramref name="gateway"/> agree that each of <paramref name="backends"/> is
    /// in (or out of) rotation.</summary>
    public static Task UntilAsync(RunningService gateway, IEnumerable<RunningService> backends, bool healthy)
    {
        var addresses = backends.Select(b => b.GrpcAddress).ToHashSet();
        var health = gateway.App.Services.GetRequiredService<BackendHealth>();
        return Eventually.TrueAsync(
            () => health.Current().Services.SelectMany(s => s.Replicas).Where(r => addresses.Contains(r.Address)).All(r => r.Healthy == healthy),
            $"{addresses.Count} replica(s) to be {(healthy ? "in" : "out of")} rotation");
    }

    /// <summary>Stops the gateway first, then every backend still running.</summary>
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Gateway.DisposeAsync();
        foreach (var backend in _backends.Where(b => !_stopped.Contains(b)))
        {
            await backend.DisposeAsync();
        }
    }
}
