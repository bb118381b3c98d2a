using MoCo.Contracts.V1;
using MoCo.Testing;

namespace MoCo.Evaluator.Tests;

public sealed class EvaluatorContractTests() : PendingServiceContractTests(new EvaluatorModule(), EvaluatorService.Descriptor,
    EvaluatorCapabilities.Pending, EvaluatorCapabilities.Served);
