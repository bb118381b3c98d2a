using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Sandbox.Service;

/// <summary>A program's end and its isolation as sandbox.proto carries them; what the service sends is what the
/// evaluator reads back, field for field.</summary>
public static class SandboxWire
{
    /// <summary>The wire value of a mode.</summary>
    public static SandboxIsolation ToWire(SandboxMode mode) => mode switch
    {
        SandboxMode.Namespaces => SandboxIsolation.Namespaces,
        SandboxMode.Weak => SandboxIsolation.Weak,
        SandboxMode.Pod => SandboxIsolation.Pod,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown sandbox mode"),
    };

    /// <summary>The mode a reply names; null for a value this build does not know (a newer service).</summary>
    public static SandboxMode? FromWire(SandboxIsolation isolation) => isolation switch
    {
        SandboxIsolation.Namespaces => SandboxMode.Namespaces,
        SandboxIsolation.Weak => SandboxMode.Weak,
        SandboxIsolation.Pod => SandboxMode.Pod,
        _ => null,
    };

    /// <summary>The reply for a finished program.</summary>
    public static RunProgramResponse ToWire(SandboxRun run)
    {
        var reply = new RunProgramResponse
        {
            ExitCode = run.ExitCode,
            TimedOut = run.TimedOut,
            OutputExceeded = run.OutputExceeded,
            StdoutTruncated = run.Stdout.Truncated,
            StderrTruncated = run.Stderr.Truncated,
            AssertionError = run.AssertionFailed,
            MemoryError = run.Stderr.Saw(1),
            StdoutTail = run.Stdout.Last,
            StderrTail = run.Stderr.Last,
            Failure = run.Failure ?? "",
            Isolation = ToWire(run.Mode),
        };
        reply.StdoutMarkersSeen.Add(run.Stdout.Seen);
        return reply;
    }

    /// <summary>The program's end a reply describes, for <paramref name="markers"/> markers; a reply that does not fit
    /// them (or names an unknown isolation) is a failure of the sandbox, never a score.</summary>
    public static SandboxRun FromWire(RunProgramResponse reply, int markers, string service)
    {
        var stdout = new CapturedOutput(reply.StdoutTail, reply.StdoutTruncated, [.. reply.StdoutMarkersSeen]);
        var stderr = new CapturedOutput(reply.StderrTail, reply.StderrTruncated, [reply.AssertionError, reply.MemoryError]);
        var mode = FromWire(reply.Isolation);
        var failure = reply.Failure.Length > 0 ? reply.Failure
            : reply.StdoutMarkersSeen.Count != markers ? $"the sandbox service at {service} answered {reply.StdoutMarkersSeen.Count} stdout markers for {markers}"
            : mode is null ? $"the sandbox service at {service} answered an unknown isolation {reply.Isolation}"
            : null;
        if (failure is not null && stdout.Seen.Count != markers)
        {
            stdout = stdout with { Seen = new bool[markers] };
        }
        return new SandboxRun(reply.ExitCode, reply.TimedOut, reply.OutputExceeded, stdout, stderr, failure, mode ?? SandboxMode.Weak);
    }
}
