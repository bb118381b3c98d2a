namespace MoCo.Evaluator.Sandbox;

/// <summary>How one sandboxed program ended.</summary>
/// <param name="ExitCode">Exit status (128 + n when killed by signal n); null on timeout or failure to start.</param>
/// <param name="TimedOut">The wall limit was reached; the process tree was killed.</param>
/// <param name="OutputExceeded">The program flooded stdout or stderr past the cap; the process tree was killed.</param>
/// <param name="Stdout">Captured stdout; watches for the call's markers.</param>
/// <param name="Stderr">Captured stderr; watches for AssertionError (needle 0) and MemoryError (needle 1).</param>
/// <param name="Failure">The sandbox itself failed (an item error, never a score); null when the program ran.</param>
/// <param name="Mode">The isolation used.</param>
public sealed record SandboxRun(int? ExitCode, bool TimedOut, bool OutputExceeded, CapturedOutput Stdout, CapturedOutput Stderr, string? Failure,
    SandboxMode Mode)
{
    /// <summary>"AssertionError" occurred on stderr.</summary>
    public bool AssertionFailed => Stderr.Saw(0);

    /// <summary>Killed by a resource limit: a signal (RLIMIT_CPU's SIGXCPU/SIGKILL, RLIMIT_FSIZE's SIGXFSZ…), out of
    /// memory under RLIMIT_AS, or output beyond the cap.</summary>
    public bool Killed => Flooded || ExitCode is > 128 and <= 128 + 64 || Stderr.Saw(1);

    /// <summary>RLIMIT_CPU's soft limit ended the program (SIGXCPU). A CPU limit is a time limit: on a loaded host the
    /// kernel can deliver it before the wall-clock watchdog fires, and the program must read as timed out either way.</summary>
    public bool CpuLimitReached => ExitCode == 128 + SigXcpu;

    private const int SigXcpu = 24;

    /// <summary>stdout or stderr went past the cap (killed then, or ended just as the cap was reached).</summary>
    public bool Flooded => OutputExceeded || Stdout.Truncated || Stderr.Truncated;
}
