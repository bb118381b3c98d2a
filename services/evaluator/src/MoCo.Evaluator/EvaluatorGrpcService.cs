using MoCo.Contracts.V1;

namespace MoCo.Evaluator;

/// <summary>moco.v1.EvaluatorService. Every RPC is pending (see <see cref="EvaluatorCapabilities"/>): the generated
/// base answers UNIMPLEMENTED and the host names what each one needs.</summary>
public sealed class EvaluatorGrpcService : EvaluatorService.EvaluatorServiceBase;
