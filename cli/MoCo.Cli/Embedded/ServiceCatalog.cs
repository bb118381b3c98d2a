using MoCo.Evaluator;
using MoCo.Hosting;
using MoCo.Inference;
using MoCo.Orchestrator;
using MoCo.Router;

namespace MoCo.Cli.Embedded;

/// <summary>The four backend services by their command-line names, in start order.</summary>
public static class ServiceCatalog
{
    /// <summary>Backend service names, as `moco serve` takes them.</summary>
    public static readonly IReadOnlyList<string> Backends = ["inference", "router", "evaluator", "orchestrator"];

    /// <summary>A new module for a backend service name.</summary>
    public static IMocoServiceModule Create(string name) => name switch
    {
        "inference" => new InferenceModule(),
        "router" => new RouterModule(),
        "evaluator" => new EvaluatorModule(),
        "orchestrator" => new OrchestratorModule(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a backend service: use " + string.Join(", ", Backends)),
    };
}
