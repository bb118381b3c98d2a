using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Health;
using MoCo.Hosting;
using MoCo.Testing;
using FileDescriptor = Google.Protobuf.Reflection.FileDescriptor;

namespace MoCo.Gateway.Tests.Support;

/// <summary>Backends and gateways on free loopback ports, as embedded mode runs them, with fast health checks.</summary>
internal static class TestHosts
{
    /// <summary>What the gateway host hands to GatewayModule.</summary>
    public static readonly IReadOnlyList<FileDescriptor> Contracts =
    [
        CommonReflection.Descriptor, InferenceReflection.Descriptor, RouterReflection.Descriptor,
        EvaluatorReflection.Descriptor, OrchestratorReflection.Descriptor,
    ];

    public static Action<WebApplicationBuilder> Loopback(IDictionary<string, string?>? extra = null) => builder =>
    {
        var values = new Dictionary<string, string?>
        {
            ["Moco:Host:BindAddress"] = "127.0.0.1",
            ["Moco:Host:GrpcPort"] = "0",
            ["Moco:Host:AdminPort"] = "0",
            ["Moco:Host:ShutdownTimeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
            // Probes of replicas a test stopped on purpose fail with a stack trace each.
            ["Logging:LogLevel:Yarp"] = "Error",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(values);
    };

    public static async Task<Replica> StartReplicaAsync(GatewayBackend backend)
    {
        var module = new FakeBackendModule(backend);
        return new Replica(module, await MocoHost.StartAsync(module, configure: Loopback()));
    }

    public static async Task<ReplicaGroup> StartReplicasAsync(GatewayBackend backend, int count)
    {
        var replicas = new List<Replica>();
        for (var i = 0; i < count; i++)
        {
            replicas.Add(await StartReplicaAsync(backend));
        }
        return new ReplicaGroup(replicas);
    }

    /// <summary>Probes every 200 ms, two failures in a row take a replica out: changes show within about half a second.</summary>
    public static GatewayOptions Fast(this GatewayOptions options)
    {
        options.HealthChecks.Interval = TimeSpan.FromMilliseconds(200);
        options.HealthChecks.Timeout = TimeSpan.FromSeconds(1);
        return options;
    }

    public static GatewayOptions Add(this GatewayOptions options, GatewayBackend backend, params IEnumerable<Replica> replicas)
    {
        backend.Options(options).Replicas.AddRange(replicas.Select(r => r.Options));
        return options;
    }

    public static GatewayOptions AddGroup(this GatewayOptions options, string group, string[] models, params IEnumerable<Replica> replicas)
    {
        options.Inference.Groups[group] = new ReplicaGroupOptions { Models = [.. models], Replicas = [.. replicas.Select(r => r.Options)] };
        return options;
    }

    public static async Task<TestGateway> StartGatewayAsync(GatewayOptions options, IDictionary<string, string?>? settings = null) =>
        new(await MocoHost.StartAsync(new GatewayModule(Contracts, options), configure: Loopback(settings)));
}

/// <summary>One running backend replica.</summary>
internal sealed class Replica(FakeBackendModule module, RunningService service) : IAsyncDisposable
{
    public FakeBackendModule Module => module;
    public RunningService Service => service;

    /// <summary>Its <c>moco-replica</c> value: the gateway's destination id.</summary>
    public string Id => $"{service.GrpcAddress.Host}:{service.GrpcAddress.Port}";

    /// <summary>What it writes in moco-served-by.</summary>
    public string ServedBy => $"{module.Name}@{Environment.MachineName}:{service.GrpcAddress.Port}";

    public ReplicaOptions Options => new(service.GrpcAddress, service.AdminAddress);

    private int _stopped;

    /// <summary>Stops the replica; later calls do nothing, so a test may stop it early and still dispose it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await service.DisposeAsync();
        }
    }
}

/// <summary>Replicas started together and stopped together.</summary>
internal sealed class ReplicaGroup(IReadOnlyList<Replica> replicas) : IReadOnlyList<Replica>, IAsyncDisposable
{
    public Replica this[int index] => replicas[index];
    public int Count => replicas.Count;
    public IEnumerator<Replica> GetEnumerator() => replicas.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }
}

/// <summary>A running gateway and a channel to it.</summary>
internal sealed class TestGateway(RunningService service) : IAsyncDisposable
{
    public RunningService Service => service;

    public GrpcChannel Channel { get; } = GrpcChannel.ForAddress(service.GrpcAddress, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 8 * 1024 * 1024,
        MaxSendMessageSize = 8 * 1024 * 1024,
    });

    public BackendHealth Health => service.App.Services.GetRequiredService<BackendHealth>();

    public Task UntilAsync(Func<GatewayHealthSnapshot, bool> condition, string what) =>
        Eventually.TrueAsync(() => condition(Health.Current()), what);

    public Task UntilHealthyAsync(params IEnumerable<Replica> replicas) =>
        UntilAsync(s => replicas.All(r => HealthOf(s, r)?.Healthy == true), "replicas " + string.Join(", ", replicas.Select(r => r.Id)) + " to be healthy");

    public Task UntilUnhealthyAsync(Replica replica) =>
        UntilAsync(s => HealthOf(s, replica)?.Healthy == false, $"replica {replica.Id} to be out of rotation");

    private static ReplicaHealth? HealthOf(GatewayHealthSnapshot snapshot, Replica replica) =>
        snapshot.Services.SelectMany(s => s.Replicas).FirstOrDefault(r => r.Id == replica.Id);

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await service.DisposeAsync();
    }
}
