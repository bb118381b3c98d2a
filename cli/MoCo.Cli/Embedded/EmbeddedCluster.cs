using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Hosting;
using MoCo.Orchestrator.Config;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace MoCo.Cli.Embedded;

/// <summary>
/// Several services hosted in this process (embedded mode): each module on its own listeners, started in order and
/// stopped in reverse. The cluster owns SIGINT/SIGTERM for all of them (see <see cref="EmbeddedLifetime"/>).
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly List<RunningService> _services = [];

    private EmbeddedCluster()
    {
    }

    /// <summary>The running services in start order (a gateway after the backends it routes to).</summary>
    public IReadOnlyList<RunningService> Services => _services;

    /// <summary>The gateway in front of the others, when this cluster has one.</summary>
    public RunningService? Gateway => _services.FirstOrDefault(s => s.Module is GatewayModule);

    /// <summary>Starts one service on the address and ports of <paramref name="settings"/> (contract defaults when
    /// none are given); a gateway alone routes as its configuration section Moco:Gateway says.</summary>
    public static Task<EmbeddedCluster> StartOneAsync(string name, ServeSettings settings, CancellationToken cancel) =>
        StartAsync(async cluster => cluster._services.Add(await StartServiceAsync(ServiceCatalog.Create(name),
            settings.ToConfiguration(settings.BindAddress, settings.GrpcPort, settings.AdminPort), cancel).ConfigureAwait(false)));

    /// <summary>Starts every backend on loopback with free ports (their defaults are meant for separate hosts), then
    /// the gateway in front of them on the address and ports of <paramref name="settings"/>: one address for all.</summary>
    public static Task<EmbeddedCluster> StartAllAsync(ServeSettings settings, CancellationToken cancel) =>
        StartWithGatewayAsync(ServiceCatalog.Backends, settings, cancel);

    /// <summary>As <see cref="StartAllAsync"/> for the named backends alone (`moco bench gateway` puts the gateway in
    /// front of inference only).</summary>
    public static Task<EmbeddedCluster> StartWithGatewayAsync(IReadOnlyCollection<string> names, ServeSettings settings, CancellationToken cancel) =>
        StartAsync(async cluster =>
        {
            foreach (var name in ServiceCatalog.Backends.Where(names.Contains))
            {
                var values = settings.ToConfiguration("127.0.0.1", 0, 0);
                // Backends call inference directly: it starts first, and the gateway only after them all.
                cluster.WireBackends(values);
                cluster._services.Add(await StartServiceAsync(ServiceCatalog.Create(name), values, cancel).ConfigureAwait(false));
            }
            cluster._services.Add(await StartServiceAsync(ServiceCatalog.GatewayFor(cluster._services),
                settings.ToConfiguration(settings.BindAddress ?? "127.0.0.1", settings.GrpcPort, settings.AdminPort), cancel).ConfigureAwait(false));
        });

    /// <summary>Starts the named backends on loopback with free ports, in <see cref="ServiceCatalog.Backends"/> order
    /// (inference first: the evaluator calls it for judges); `moco run` uses inference and evaluator and runs the engine
    /// itself, so the logs land in the user's folder.</summary>
    public static Task<EmbeddedCluster> StartBackendsAsync(IReadOnlyCollection<string> names, ServeSettings settings, CancellationToken cancel) =>
        StartAsync(async cluster =>
        {
            foreach (var name in ServiceCatalog.Backends.Where(names.Contains))
            {
                var values = settings.ToConfiguration("127.0.0.1", 0, 0);
                cluster.WireBackends(values);
                cluster._services.Add(await StartServiceAsync(ServiceCatalog.Create(name), values, cancel).ConfigureAwait(false));
            }
        });

    /// <summary>What an embedded run over several devices talks to (<paramref name="replicas"/>, config-and-cli.md
    /// §2.3): an inference replica per device, a gateway on loopback routing each model's calls to its device's replica
    /// (the first serves every model no group lists), and the evaluator calling inference through that gateway.</summary>
    public static Task<EmbeddedCluster> StartReplicasAsync(ReplicaPlan replicas, ServeSettings settings, CancellationToken cancel) =>
        StartAsync(async cluster =>
        {
            var hosts = new List<RunningService>();
            foreach (var group in replicas.Groups)
            {
                var host = await StartServiceAsync(ServiceCatalog.Create("inference"),
                    (settings with { Device = group.Device ?? settings.Device }).ToConfiguration("127.0.0.1", 0, 0), cancel).ConfigureAwait(false);
                hosts.Add(host);
                cluster._services.Add(host);
            }
            var gateway = await StartServiceAsync(new GatewayModule(ServiceCatalog.Contracts, Routing(replicas, hosts)),
                settings.ToConfiguration("127.0.0.1", 0, 0), cancel).ConfigureAwait(false);
            cluster._services.Add(gateway);
            var values = settings.ToConfiguration("127.0.0.1", 0, 0);
            values["Moco:Evaluator:InferenceAddress"] = gateway.GrpcAddress.ToString();
            cluster._services.Add(await StartServiceAsync(ServiceCatalog.Create("evaluator"), values, cancel).ConfigureAwait(false));
        });

    // One group per replica, named by position. The replicas live and die with this process, so health probes must
    // never take one out of rotation (a /readyz answered late under load would otherwise strand its models).
    private static GatewayOptions Routing(ReplicaPlan replicas, IReadOnlyList<RunningService> hosts)
    {
        var options = new GatewayOptions();
        options.Inference.DefaultGroup = "replica-0";
        for (var i = 0; i < hosts.Count; i++)
        {
            options.Inference.Groups[$"replica-{i}"] = new ReplicaGroupOptions
            {
                Models = [.. replicas.Groups[i].Models],
                Replicas = [new ReplicaOptions(hosts[i].GrpcAddress, hosts[i].AdminAddress)],
            };
        }
        options.HealthChecks.FailureThreshold = int.MaxValue;
        options.HealthChecks.Passive = false;
        return options;
    }

    // Backends call each other directly on loopback: the evaluator, the router and the orchestrator call inference, the
    // router and the orchestrator call the evaluator. Services start in ServiceCatalog.Backends order, so callees come first.
    private void WireBackends(Dictionary<string, string?> values)
    {
        if (Find("inference") is { } inference)
        {
            values["Moco:Evaluator:InferenceAddress"] = inference.GrpcAddress.ToString();
            values["Moco:Orchestrator:InferenceAddress"] = inference.GrpcAddress.ToString();
            values["Moco:Router:InferenceAddress"] = inference.GrpcAddress.ToString();
        }
        if (Find("evaluator") is { } evaluator)
        {
            values["Moco:Orchestrator:EvaluatorAddress"] = evaluator.GrpcAddress.ToString();
            values["Moco:Router:EvaluatorAddress"] = evaluator.GrpcAddress.ToString();
        }
    }

    /// <summary>The running service named <paramref name="name"/>, or null.</summary>
    public RunningService? Find(string name) => _services.FirstOrDefault(s => s.Module.Name == name);

    // One failing to start stops those already started.
    private static async Task<EmbeddedCluster> StartAsync(Func<EmbeddedCluster, Task> start)
    {
        var cluster = new EmbeddedCluster();
        try
        {
            await start(cluster).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static Task<RunningService> StartServiceAsync(IMocoServiceModule module, Dictionary<string, string?> values, CancellationToken cancel) =>
        MocoHost.StartAsync(module, configure: b =>
        {
            b.Configuration.AddInMemoryCollection(values);
            b.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }, cancellationToken: cancel);

    /// <summary>Asks each service's grpc.health.v1 about its own services, one line per check. The gateway answers
    /// from its probes of the replicas, which start when it does, so for it this waits (Watch) until each routed
    /// service is SERVING or <paramref name="patience"/> runs out.</summary>
    public async Task<IReadOnlyList<(string Service, bool Serving, string Detail)>> CheckHealthAsync(TimeSpan patience, CancellationToken cancel)
    {
        var results = new List<(string, bool, string)>();
        foreach (var service in _services)
        {
            using var channel = GrpcChannel.ForAddress(service.GrpcAddress);
            var health = new Health.HealthClient(channel);
            var viaGateway = service.Module is GatewayModule;
            foreach (var name in service.Module.GrpcServiceNames)
            {
                var label = viaGateway ? $"{name} through the gateway" : name;
                try
                {
                    var deadline = DateTime.UtcNow.Add(viaGateway ? patience : TimeSpan.FromSeconds(10));
                    var status = viaGateway
                        ? await WaitForServingAsync(health, name, deadline, cancel).ConfigureAwait(false)
                        : (await health.CheckAsync(new HealthCheckRequest { Service = name }, deadline: deadline, cancellationToken: cancel).ConfigureAwait(false)).Status;
                    results.Add((label, status == ServingStatus.Serving, $"{status} at {service.GrpcAddress}"));
                }
                catch (RpcException e)
                {
                    results.Add((label, false, $"{e.StatusCode}: {e.Status.Detail}"));
                }
            }
        }
        return results;
    }

    private static async Task<ServingStatus> WaitForServingAsync(Health.HealthClient health, string service, DateTime deadline, CancellationToken cancel)
    {
        using var watch = health.Watch(new HealthCheckRequest { Service = service }, deadline: deadline, cancellationToken: cancel);
        var last = ServingStatus.Unknown;
        try
        {
            while (await watch.ResponseStream.MoveNext(cancel).ConfigureAwait(false))
            {
                last = watch.ResponseStream.Current.Status;
                if (last == ServingStatus.Serving)
                {
                    break;
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            // Still not serving when patience ran out: report the last status seen.
        }
        return last;
    }

    /// <summary>Stops every service, last started first (the gateway before its backends), each draining its
    /// in-flight calls.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _services.Count - 1; i >= 0; i--)
        {
            await _services[i].DisposeAsync().ConfigureAwait(false);
        }
        _services.Clear();
    }
}
