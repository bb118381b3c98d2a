using MoCo.Contracts.V1;

namespace MoCo.Orchestrator;

/// <summary>moco.v1.OrchestratorService. Every RPC is pending (see <see cref="OrchestratorCapabilities"/>): the
/// generated base answers UNIMPLEMENTED and the host names what each one needs.</summary>
public sealed class OrchestratorGrpcService : OrchestratorService.OrchestratorServiceBase;
