using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using WireLimits = MoCo.Contracts.V1.SandboxLimits;

namespace MoCo.Evaluator.Sandbox.Service;

/// <summary>moco.v1.SandboxService: the evaluator's code sandbox in a process of its own (sandbox.proto). Programs
/// beyond <see cref="SandboxOptions.MaxParallel"/> wait for a slot; a cancelled call kills its program.</summary>
public sealed class SandboxGrpcService(LocalSandbox sandbox, SandboxOptions options) : SandboxService.SandboxServiceBase
{
    private readonly SemaphoreSlim _slots = new(options.MaxParallel);

    /// <inheritdoc/>
    public override async Task<PrepareSandboxResponse> PrepareSandbox(PrepareSandboxRequest request, ServerCallContext context)
    {
        var session = await sandbox.PrepareAsync(Limits(request.Limits), context.CancellationToken).ConfigureAwait(false);
        return new PrepareSandboxResponse
        {
            Isolation = SandboxWire.ToWire(session.Mode),
            Python = session.Python,
            PythonVersion = session.PythonVersion.ToString(),
        };
    }

    /// <inheritdoc/>
    public override async Task<RunProgramResponse> RunProgram(RunProgramRequest request, ServerCallContext context)
    {
        if (request.Program.Length == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("program", Errors.Reasons.InvalidValue, "program: expected the Python source to run, got nothing",
                new Dictionary<string, string> { ["fix"] = "send the whole solution.py" }));
        }
        var limits = Limits(request.Limits);
        var session = await sandbox.PrepareAsync(limits, context.CancellationToken).ConfigureAwait(false);
        await _slots.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            var run = await sandbox.RunAsync(request.Program, session, limits, request.StdoutMarkers, context.CancellationToken).ConfigureAwait(false);
            return SandboxWire.ToWire(run);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static SandboxLimits Limits(WireLimits? wire) => SandboxLimits.From(wire, "limits");
}
