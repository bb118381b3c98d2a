using MoCo.Contracts.V1;
using MoCo.Evaluator;
using MoCo.Evaluator.Sandbox.Service;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Hosting;
using MoCo.Inference;
using MoCo.Orchestrator;
using MoCo.Router;
using FileDescriptor = Google.Protobuf.Reflection.FileDescriptor;

namespace MoCo.Cli.Embedded;

/// <summary>The services by their command-line names: the four backends in start order, and the gateway in front.</summary>
public static class ServiceCatalog
{
    /// <summary>Backend service names, as `moco serve` takes them.</summary>
    public static readonly IReadOnlyList<string> Backends = ["inference", "evaluator", "router", "orchestrator"];

    /// <summary>The gateway's name, as `moco serve` takes it.</summary>
    public const string Gateway = "gateway";

    /// <summary>The code sandbox's name, as `moco serve` takes it: a service of its own only where the cluster runs
    /// programs apart from the evaluator (evaluation.md §4.2); `all` leaves it out, the evaluator sandboxes itself.</summary>
    public const string Sandbox = "sandbox";

    /// <summary>Every name `moco serve` takes for one service.</summary>
    public static readonly IReadOnlyList<string> Services = [.. Backends, Gateway, Sandbox];

    /// <summary>The moco.v1 contracts the gateway's reflection serves.</summary>
    public static readonly IReadOnlyList<FileDescriptor> Contracts =
    [
        CommonReflection.Descriptor, InferenceReflection.Descriptor, RouterReflection.Descriptor,
        EvaluatorReflection.Descriptor, OrchestratorReflection.Descriptor,
    ];

    /// <summary>A new module for a service name; the gateway reads its routing from Moco:Gateway.</summary>
    public static IMocoServiceModule Create(string name) => name switch
    {
        "inference" => new InferenceModule(),
        "router" => new RouterModule(),
        "evaluator" => new EvaluatorModule(),
        "orchestrator" => new OrchestratorModule(),
        Gateway => new GatewayModule(Contracts),
        Sandbox => new SandboxModule(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a service: use " + string.Join(", ", Services)),
    };

    /// <summary>A gateway routing to services started in this process.</summary>
    public static IMocoServiceModule GatewayFor(IEnumerable<RunningService> backends) =>
        new GatewayModule(Contracts, GatewayOptions.ForServices(backends));
}
