namespace MoCo.Evaluator.Sandbox;

/// <summary>Where the programs of coding items run: in this process (<see cref="LocalSandbox"/>) or in the sandbox
/// service of a cluster whose nodes cannot isolate them here (<see cref="RemoteSandbox"/>, evaluation.md §4.2).</summary>
public interface ICodeSandbox
{
    /// <summary>The interpreter and the isolation programs under <paramref name="limits"/> will get;
    /// FAILED_PRECONDITION naming the key to change when nothing works.</summary>
    Task<SandboxSession> PrepareAsync(SandboxLimits limits, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="program"/> (the whole solution.py) and says how it ended; a failure of the sandbox
    /// itself is <see cref="SandboxRun.Failure"/>, never an exception that would read as a score.</summary>
    /// <param name="program">Python source.</param>
    /// <param name="session">From <see cref="PrepareAsync"/>.</param>
    /// <param name="limits">The call's limits.</param>
    /// <param name="stdoutMarkers">Strings to watch for on stdout.</param>
    /// <param name="cancellationToken">Cancels the run and kills the program.</param>
    Task<SandboxRun> RunAsync(string program, SandboxSession session, SandboxLimits limits, IReadOnlyList<string> stdoutMarkers,
        CancellationToken cancellationToken);
}
