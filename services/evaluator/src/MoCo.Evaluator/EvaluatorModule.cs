using MoCo.Contracts.V1;
using MoCo.Hosting;

namespace MoCo.Evaluator;

/// <summary>The evaluator service as a hostable module: moco.v1.EvaluatorService on the default ports of contracts.md §9.</summary>
public sealed class EvaluatorModule() : GrpcServiceModule<EvaluatorGrpcService>(
    "evaluator", EvaluatorService.Descriptor.FullName, ServicePorts.Evaluator, EvaluatorCapabilities.Pending);
