using MoCo.Gateway.Configuration;

namespace MoCo.Gateway;

/// <summary>One moco.v1 service the gateway fronts.</summary>
/// <param name="Key">Its name in configuration and cluster ids: inference, router, evaluator, orchestrator.</param>
/// <param name="ServiceName">Fully qualified gRPC service name, e.g. moco.v1.RouterService.</param>
public sealed record GatewayBackend(string Key, string ServiceName)
{
    /// <summary>The configuration section of its replicas, relative to Moco:Gateway.</summary>
    internal string OptionsKey => char.ToUpperInvariant(Key[0]) + Key[1..];

    /// <summary>Path prefix of its calls: gRPC puts the service name first in every method path.</summary>
    internal string PathPattern => "/" + ServiceName + "/{**method}";
}

/// <summary>The four backend services (contracts.md §1) and where their replicas are configured.</summary>
public static class GatewayBackends
{
    /// <summary>moco.v1.InferenceService, routed by model to replica groups.</summary>
    public static readonly GatewayBackend Inference = new("inference", "moco.v1.InferenceService");
    /// <summary>moco.v1.RouterService.</summary>
    public static readonly GatewayBackend Router = new("router", "moco.v1.RouterService");
    /// <summary>moco.v1.EvaluatorService.</summary>
    public static readonly GatewayBackend Evaluator = new("evaluator", "moco.v1.EvaluatorService");
    /// <summary>moco.v1.OrchestratorService.</summary>
    public static readonly GatewayBackend Orchestrator = new("orchestrator", "moco.v1.OrchestratorService");

    /// <summary>All four, in the order services start.</summary>
    public static readonly IReadOnlyList<GatewayBackend> All = [Inference, Router, Evaluator, Orchestrator];

    /// <summary>The backend serving <paramref name="serviceName"/>, or null.</summary>
    public static GatewayBackend? Find(string serviceName) => All.FirstOrDefault(b => b.ServiceName == serviceName);

    /// <summary>The replica list of a single-group backend (every backend but inference).</summary>
    internal static BackendOptions Options(this GatewayBackend backend, GatewayOptions options) => backend.Key switch
    {
        "router" => options.Router,
        "evaluator" => options.Evaluator,
        "orchestrator" => options.Orchestrator,
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend.Key, "inference replicas live in groups"),
    };
}
