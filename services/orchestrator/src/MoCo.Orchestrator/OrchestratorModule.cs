using MoCo.Contracts.V1;
using MoCo.Hosting;

namespace MoCo.Orchestrator;

/// <summary>The orchestrator service as a hostable module: moco.v1.OrchestratorService on the default ports of contracts.md §9.</summary>
public sealed class OrchestratorModule() : GrpcServiceModule<OrchestratorGrpcService>(
    "orchestrator", OrchestratorService.Descriptor.FullName, ServicePorts.Orchestrator, OrchestratorCapabilities.Pending);
