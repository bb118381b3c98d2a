using Microsoft.Extensions.Logging.Abstractions;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Service;
using MoCo.Hosting;

namespace MoCo.Evaluator.Tests.Support;

/// <summary>Evaluator runtimes over the shared datasets, without a service.</summary>
public static class Runtimes
{
    /// <summary>A runtime whose inference backend is <paramref name="inference"/> (default: an address nothing
    /// listens on — for task types that need no model).</summary>
    public static EvaluatorRuntime Create(IInferenceBackend? inference = null) =>
        new(new EvaluatorOptions { DataDirectories = [TestData.Directory] }, new MocoEnvironment(_ => null, AppContext.BaseDirectory),
            inference ?? new GrpcInferenceBackend("http://127.0.0.1:9"));

    /// <summary>One runtime shared by the sandbox tests (its sandbox probe runs once).</summary>
    public static EvaluatorRuntime Shared { get; } = Create();

    /// <summary>A sandbox runner for tests that choose the mode themselves; its uids lie apart from the shared
    /// runtime's, so programs of both never share one.</summary>
    public static SandboxRunner Runner { get; } = new(SandboxTools.Find(), new SandboxUidPool(new EvaluatorOptions().SandboxUidBase + 1_000_000),
        NullLogger<SandboxRunner>.Instance);
}
