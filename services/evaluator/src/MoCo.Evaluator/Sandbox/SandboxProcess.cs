using System.ComponentModel;
using System.Diagnostics;

namespace MoCo.Evaluator.Sandbox;

/// <summary>What running one command produced.</summary>
/// <param name="ExitCode">The exit status (128 + n when killed by signal n); null when it timed out or did not start.</param>
/// <param name="TimedOut">The wall limit was reached and the process tree killed.</param>
/// <param name="OutputExceeded">stdout or stderr passed the capture cap and the process tree was killed.</param>
/// <param name="Stdout">Captured standard output.</param>
/// <param name="Stderr">Captured standard error.</param>
/// <param name="StartError">Why the command could not start; null when it did.</param>
public sealed record ProcessOutcome(int? ExitCode, bool TimedOut, bool OutputExceeded, BoundedCapture Stdout, BoundedCapture Stderr, string? StartError);

/// <summary>Runs a command with empty stdin, a scrubbed environment and a wall-clock limit; output is read while the
/// program runs, capped; on timeout, output beyond the cap or cancellation the whole process tree is killed.</summary>
public static class SandboxProcess
{
    // How long output pipes may stay open after the process exited (a background child holding them) before the
    // capture is frozen and the readers abandoned.
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="argv"/>.</summary>
    public static async Task<ProcessOutcome> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment,
        string workingDirectory, TimeSpan wall, BoundedCapture stdout, BoundedCapture stderr, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new ProcessOutcome(null, false, false, stdout, stderr, $"cannot start {argv[0]}: {e.Message}");
        }
        process.StandardInput.Close();
        var readers = Task.WhenAll(stdout.ReadAsync(process.StandardOutput.BaseStream, CancellationToken.None),
            stderr.ReadAsync(process.StandardError.BaseStream, CancellationToken.None));

        var timedOut = false;
        var exceeded = false;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stdout.Overflowed, stderr.Overflowed))
        {
            limit.CancelAfter(wall);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                exceeded = !cancellationToken.IsCancellationRequested && (stdout.Overflowed.IsCancellationRequested || stderr.Overflowed.IsCancellationRequested);
                timedOut = !cancellationToken.IsCancellationRequested && !exceeded;
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (await Task.WhenAny(readers, Task.Delay(DrainGrace, CancellationToken.None)).ConfigureAwait(false) != readers)
        {
            Kill(process);
        }
        stdout.Freeze();
        stderr.Freeze();
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessOutcome(timedOut || exceeded ? null : process.ExitCode, timedOut, exceeded, stdout, stderr, null);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone: nothing left to kill.
        }
    }
}
