using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MoCo.Evaluator.Sandbox;

/// <summary>Programs run by this process (<see cref="SandboxRunner"/>) with the interpreter <see cref="PythonLocator"/>
/// finds; both cache their probes, so preparing again costs nothing.</summary>
public sealed class LocalSandbox(SandboxRunner runner, PythonLocator pythons) : ICodeSandbox
{
    /// <summary>The sandbox of this machine: the util-linux tools on PATH, programs from uid <paramref name="uidBase"/>
    /// on, MOCO_SANDBOX_PYTHON or the configured interpreter; <paramref name="podIsolation"/> as the sandbox service's
    /// option says (<see cref="SandboxRunner"/>).</summary>
    public static LocalSandbox OfThisMachine(int uidBase, ILogger<SandboxRunner>? logger = null, bool podIsolation = false) =>
        new(new SandboxRunner(SandboxTools.Find(), new SandboxUidPool(uidBase), logger ?? NullLogger<SandboxRunner>.Instance, podIsolation),
            new PythonLocator());

    /// <inheritdoc/>
    public async Task<SandboxSession> PrepareAsync(SandboxLimits limits, CancellationToken cancellationToken)
    {
        var python = await pythons.FindAsync(limits.Python, cancellationToken).ConfigureAwait(false);
        var mode = await runner.PrepareAsync(python, limits, cancellationToken).ConfigureAwait(false);
        return new Session(python, mode);
    }

    /// <inheritdoc/>
    public Task<SandboxRun> RunAsync(string program, SandboxSession session, SandboxLimits limits, IReadOnlyList<string> stdoutMarkers,
        CancellationToken cancellationToken) =>
        session is Session local
            ? runner.RunAsync(program, local.Interpreter, limits, local.Mode, stdoutMarkers, cancellationToken)
            : throw new ArgumentException("a session this sandbox did not prepare", nameof(session));

    private sealed record Session(PythonInterpreter Interpreter, SandboxMode Mode)
        : SandboxSession(Interpreter.Executable, Interpreter.Version, Mode);
}
