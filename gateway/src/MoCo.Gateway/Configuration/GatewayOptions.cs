using MoCo.Hosting;

namespace MoCo.Gateway.Configuration;

/// <summary>
/// Where the gateway sends each moco.v1 service and how it watches the replicas, bound from the configuration
/// section <c>Moco:Gateway</c> (appsettings.json, or variables such as
/// <c>Moco__Gateway__Router__Replicas__0__Address</c>) or built in code (embedded mode: see
/// <see cref="ForServices"/>). A service without replicas is not routed: its calls get UNIMPLEMENTED and its
/// health NOT_FOUND. gateway/README.md has an annotated example.
/// </summary>
/// <example>
/// <code>
/// "Moco": { "Gateway": {
///   "Inference": {
///     "DefaultGroup": "small",
///     "Groups": {
///       "small": { "Replicas": [ { "Address": "http://10.0.0.5:50051", "Health": "http://10.0.0.5:9051" } ] },
///       "big":   { "Models": [ "qwen2.5-7b-instruct" ],
///                  "Replicas": [ { "Address": "http://10.0.0.6:50051", "Health": "http://10.0.0.6:9051" } ] } } },
///   "Router": { "Replicas": [ { "Address": "http://10.0.0.7:50052", "Health": "http://10.0.0.7:9052" } ] },
///   "HealthChecks": { "Interval": "00:00:05", "Timeout": "00:00:02" } } }
/// </code>
/// </example>
public sealed class GatewayOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string Section = "Moco:Gateway";

    /// <summary>moco.v1.InferenceService: replica groups, routed by the <c>moco-model</c> header.</summary>
    public InferenceBackendOptions Inference { get; set; } = new();

    /// <summary>moco.v1.RouterService replicas.</summary>
    public BackendOptions Router { get; set; } = new();

    /// <summary>moco.v1.EvaluatorService replicas.</summary>
    public BackendOptions Evaluator { get; set; } = new();

    /// <summary>moco.v1.OrchestratorService replicas.</summary>
    public BackendOptions Orchestrator { get; set; } = new();

    /// <summary>Active probing of each replica's /readyz and passive detection of failing replicas.</summary>
    public GatewayHealthCheckOptions HealthChecks { get; set; } = new();

    /// <summary>TLS for the gateway's gRPC listener; h2c when no certificate is named.</summary>
    public GatewayTlsOptions Tls { get; set; } = new();

    /// <summary>Bearer tokens callers must present; no check when no file is named.</summary>
    public GatewayAuthOptions Auth { get; set; } = new();

    /// <summary>How long a forwarded call may go without a byte in either direction before the gateway cancels it.
    /// It must outlast the longest quiet spell of a stream (WatchRun between two events, a Decode stream a caller
    /// holds open); dead replicas are found sooner by HTTP/2 keep-alive pings. Default one hour.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Options routing to services just started in this process (the CLI's <c>moco serve all</c>): each
    /// running service becomes one replica of the moco.v1 service it serves, inference replicas form the group
    /// <c>default</c>. Services serving no moco.v1 backend (a gateway) are skipped.</summary>
    public static GatewayOptions ForServices(IEnumerable<RunningService> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new GatewayOptions();
        foreach (var service in services)
        {
            var replica = new ReplicaOptions(service.GrpcAddress, service.AdminAddress);
            foreach (var name in service.Module.GrpcServiceNames)
            {
                if (name == GatewayBackends.Inference.ServiceName)
                {
                    if (!options.Inference.Groups.TryGetValue(options.Inference.DefaultGroup, out var group))
                    {
                        group = new ReplicaGroupOptions();
                        options.Inference.Groups[options.Inference.DefaultGroup] = group;
                    }
                    group.Replicas.Add(replica);
                }
                else if (GatewayBackends.Find(name) is { } backend)
                {
                    backend.Options(options).Replicas.Add(replica);
                }
            }
        }
        return options;
    }
}

/// <summary>The replicas of one backend service.</summary>
public sealed class BackendOptions
{
    /// <summary>Interchangeable replicas; calls are balanced across the healthy ones.</summary>
    public List<ReplicaOptions> Replicas { get; set; } = [];
}

/// <summary>One backend replica: its two listeners (contracts.md §9).</summary>
public sealed class ReplicaOptions
{
    /// <summary>For configuration binding.</summary>
    public ReplicaOptions()
    {
    }

    /// <summary>A replica at <paramref name="address"/> whose admin listener is <paramref name="health"/>.</summary>
    public ReplicaOptions(Uri address, Uri health)
    {
        Address = address.ToString();
        Health = health.ToString();
    }

    /// <summary>The gRPC listener, e.g. http://10.0.0.5:50051 (h2c; https for a TLS backend).</summary>
    public string Address { get; set; } = "";

    /// <summary>The HTTP/1.1 admin listener, e.g. http://10.0.0.5:9051; the gateway probes its /readyz.</summary>
    public string Health { get; set; } = "";
}
