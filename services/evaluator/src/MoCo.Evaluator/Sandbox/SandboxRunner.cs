using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using MoCo.Evaluator.Errors;

namespace MoCo.Evaluator.Sandbox;

/// <summary>
/// Runs Python programs in the code sandbox (evaluation.md §4.2): one process per program in a fresh temporary
/// folder (prefix eval_sandbox_, always removed), with the limits of the call. Chooses the isolation once per
/// interpreter by running a probe program the way every program will run: namespace isolation when the evaluator
/// is root and the util-linux tools work, else pod isolation in a sandbox pod (<paramref name="podIsolation"/>), weak
/// isolation only when the call allows it, else FAILED_PRECONDITION.
/// </summary>
/// <param name="tools">The util-linux and coreutils programs found.</param>
/// <param name="uids">The uids programs run as when this process is root.</param>
/// <param name="logger">Logs the isolation chosen.</param>
/// <param name="podIsolation">This process is the sandbox service in a pod that is itself the boundary
/// (Moco:Sandbox:PodIsolation), so rlimits, the uid and the preamble are enough without namespaces.</param>
public sealed class SandboxRunner(SandboxTools tools, SandboxUidPool uids, ILogger<SandboxRunner> logger, bool podIsolation = false)
{
    private const string ProbeProgram = "print('moco-sandbox-ok')\n";
    private readonly ConcurrentDictionary<(string, SandboxMode), Lazy<Task<string?>>> _probes = new();

    /// <summary>Whether this process can drop programs to other uids (it runs as root).</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess && OperatingSystem.IsLinux();

    /// <summary>The isolation programs will get; FAILED_PRECONDITION when none is allowed here.</summary>
    public async Task<SandboxMode> PrepareAsync(PythonInterpreter python, SandboxLimits limits, CancellationToken cancellationToken)
    {
        string reason;
        if (!OperatingSystem.IsLinux())
        {
            reason = "namespace isolation needs Linux";
        }
        else if (!IsRoot)
        {
            reason = "namespace isolation needs the evaluator to run as root, to map programs to unprivileged uids";
        }
        else if (tools.Missing(SandboxTools.ForNamespaces) is { Count: > 0 } missing)
        {
            reason = $"missing programs: {string.Join(", ", missing)} (Debian: util-linux, coreutils)";
        }
        else
        {
            var failure = await ProbeAsync(python, SandboxMode.Namespaces, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                return SandboxMode.Namespaces;
            }
            reason = "the namespace probe failed: " + failure;
        }

        if ((limits.AllowWeakIsolation || podIsolation) && OperatingSystem.IsLinux())
        {
            var missing = tools.Missing(IsRoot ? [.. SandboxTools.ForWeak, "setpriv"] : SandboxTools.ForWeak);
            var failure = missing.Count > 0
                ? $"missing programs: {string.Join(", ", missing)} (Debian: util-linux, coreutils)"
                : await ProbeAsync(python, SandboxMode.Weak, cancellationToken).ConfigureAwait(false);
            if (failure is null && podIsolation)
            {
                logger.LogInformation("Code sandbox: pod isolation (rlimits, the uid and the preamble inside this sandbox pod) because {Reason}", reason);
                return SandboxMode.Pod;
            }
            if (failure is null)
            {
                logger.LogWarning("Code sandbox: weak isolation (rlimits and the preamble only; no namespaces) because {Reason}", reason);
                return SandboxMode.Weak;
            }
            // Dropped to another uid on the real filesystem, the program may not reach an interpreter under /root.
            throw EvaluatorException.Single(StatusCode.FailedPrecondition, "header.sandbox.python", Reasons.SandboxUnavailable,
                $"task type 'coding' needs the code sandbox: namespace isolation is unavailable ({reason}) and weak isolation fails with {python.Executable}: {failure}",
                "set evaluation.sandbox.python (or MOCO_SANDBOX_PYTHON) to an interpreter every user can run, e.g. /usr/bin/python3",
                new Dictionary<string, string> { ["key"] = "evaluation.sandbox.python" });
        }
        throw EvaluatorException.Single(StatusCode.FailedPrecondition, "header.sandbox.allow_weak_isolation", Reasons.SandboxUnavailable,
            $"task type 'coding' needs the code sandbox, which is unavailable here: {reason}",
            "run the evaluator as root on Linux with util-linux (unshare, setpriv, prlimit), or set evaluation.sandbox.allow_weak_isolation: true to accept rlimits without namespaces (flag sandbox_weak)",
            new Dictionary<string, string> { ["key"] = "evaluation.sandbox.allow_weak_isolation" });
    }

    /// <summary>Runs <paramref name="program"/> (the whole solution.py) and reports how it ended.</summary>
    /// <param name="program">Python source.</param>
    /// <param name="python">The interpreter.</param>
    /// <param name="limits">The call's limits.</param>
    /// <param name="mode">From <see cref="PrepareAsync"/>.</param>
    /// <param name="stdoutMarkers">Strings to watch for on stdout.</param>
    /// <param name="cancellationToken">Cancels the run and kills the program.</param>
    public async Task<SandboxRun> RunAsync(string program, PythonInterpreter python, SandboxLimits limits, SandboxMode mode,
        IReadOnlyList<string> stdoutMarkers, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("eval_sandbox_").FullName;
        var uid = IsRoot ? uids.Rent() : (int?)null;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "solution.py"), program, cancellationToken).ConfigureAwait(false);
            var stdout = new BoundedCapture(limits.OutputCapBytes, [.. stdoutMarkers]);
            var stderr = new BoundedCapture(limits.OutputCapBytes, "AssertionError", "MemoryError");
            IReadOnlyList<string> argv;
            if (mode == SandboxMode.Namespaces)
            {
                Directory.CreateDirectory(Path.Combine(directory, "root"));
                argv = SandboxCommand.Namespaces(tools, directory, uid!.Value, limits, python, SandboxCommand.Environment(SandboxCommand.WorkFolder));
            }
            else // Weak and Pod: the same launch; in a pod the pod's own boundary stands in for the namespaces
            {
                var work = await WeakWorkFolderAsync(directory, uid, cancellationToken).ConfigureAwait(false);
                argv = SandboxCommand.Weak(tools, work, uid, limits, python, SandboxCommand.Environment(work));
            }
            var launcherEnvironment = new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin", ["LANG"] = "C.UTF-8" };
            var outcome = await SandboxProcess.RunAsync(argv, launcherEnvironment, directory, TimeSpan.FromSeconds(limits.TimeoutSeconds),
                stdout, stderr, cancellationToken).ConfigureAwait(false);
            var failure = outcome.StartError;
            if (failure is null && mode == SandboxMode.Namespaces && outcome.ExitCode is not null && !File.Exists(Path.Combine(directory, "status")))
            {
                failure = "the sandbox launcher failed: " + outcome.Stderr.Tail(1024).Trim();
            }
            return new SandboxRun(outcome.ExitCode, outcome.TimedOut, outcome.OutputExceeded, stdout.Snapshot(), stderr.Snapshot(), failure, mode);
        }
        finally
        {
            if (uid is { } u)
            {
                uids.Return(u);
            }
            TryDelete(directory);
        }
    }

    // Runs a program exactly as every program will run, once per interpreter and mode; null when it works.
    private Task<string?> ProbeAsync(PythonInterpreter python, SandboxMode mode, CancellationToken cancellationToken) =>
        _probes.GetOrAdd((python.Executable, mode), _ => new Lazy<Task<string?>>(async () =>
        {
            var limits = new SandboxLimits { TimeoutSeconds = 30 };
            var run = await RunAsync(ProbeProgram, python, limits, mode, ["moco-sandbox-ok"], CancellationToken.None).ConfigureAwait(false);
            if (run.Failure is null && run.ExitCode == 0 && run.Stdout.Saw(0))
            {
                logger.LogInformation("Code sandbox: {Mode} isolation with {Python} ({Version})", mode, python.Executable, python.Version);
                return null;
            }
            return run.Failure ?? (run.TimedOut ? "timed out" : $"exit {run.ExitCode}: {run.Stderr.Tail(512).Trim()}");
        })).Value.WaitAsync(cancellationToken);

    // Weak mode runs on the real filesystem: a work folder inside the 0700 temporary folder, owned by the program's
    // uid when the evaluator drops privileges (the parent then lets that uid through, nothing more).
    private static async Task<string> WeakWorkFolderAsync(string directory, int? uid, CancellationToken cancellationToken)
    {
        var work = Path.Combine(directory, "work");
        Directory.CreateDirectory(work);
        File.Move(Path.Combine(directory, "solution.py"), Path.Combine(work, "solution.py"));
        if (uid is { } u && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", $"{u}:{u}", work]) { UseShellExecute = false })!;
            await chown.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        return work;
    }

    private void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Code sandbox: could not remove {Directory}: {Message}", directory, e.Message);
        }
    }
}
