using MoCo.Contracts.V1;
using MoCo.Testing;

namespace MoCo.Orchestrator.Tests;

public sealed class OrchestratorContractTests() : PendingServiceContractTests(new OrchestratorModule(), OrchestratorService.Descriptor, OrchestratorCapabilities.Pending,
    new HashSet<string> { "StartRun", "ResumeRun", "WatchRun", "GetRun", "ListRuns", "CancelRun" });
