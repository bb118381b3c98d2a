using System.Globalization;
using System.Reflection;

namespace MoCo.Evaluator.Sandbox;

/// <summary>The command lines that start a sandboxed program (evaluation.md §4.2). Both modes wrap the program in
/// `timeout -s KILL` as a backstop that holds even if the evaluator itself dies; the evaluator enforces the real wall
/// limit and kills the process tree.</summary>
public static class SandboxCommand
{
    /// <summary>The program's working folder inside the namespace sandbox.</summary>
    public const string WorkFolder = "/sandbox";

    /// <summary>Seconds the backstop waits beyond the wall limit.</summary>
    private const double BackstopSlack = 5;

    private static readonly Lazy<string> Launcher = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MoCo.Evaluator.Sandbox.launcher.sh")!;
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>
    /// Namespace mode: unshare (mount, PID, network, IPC, UTS; the child dies with unshare) runs the launcher as PID 1,
    /// which builds the root in <paramref name="directory"/>/root and runs chroot → setpriv (uid, no groups, no new
    /// privileges, no capabilities) → prlimit → setsid → env (scrubbed environment, cwd /sandbox) → python.
    /// </summary>
    public static IReadOnlyList<string> Namespaces(SandboxTools tools, string directory, int uid, SandboxLimits limits,
        PythonInterpreter python, IReadOnlyDictionary<string, string> environment)
    {
        var argv = new List<string>
        {
            tools["timeout"], "-s", "KILL", Seconds(limits.TimeoutSeconds + BackstopSlack),
            tools["unshare"], "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--",
            tools["sh"], "-c", Launcher.Value, "moco-sandbox", directory, Int(TmpfsMb(limits)), Int(uid),
        };
        argv.AddRange(python.Folders);
        argv.Add("--");
        argv.AddRange([tools["chroot"], Path.Combine(directory, "root")]);
        argv.AddRange(DropPrivileges(tools, uid));
        argv.AddRange(Limits(tools, limits));
        argv.AddRange(Program(tools, WorkFolder, python, environment));
        return argv;
    }

    /// <summary>Weak mode: timeout → [setpriv when root] → prlimit → setsid → env (scrubbed, cwd the work folder) → python.</summary>
    public static IReadOnlyList<string> Weak(SandboxTools tools, string workFolder, int? uid, SandboxLimits limits,
        PythonInterpreter python, IReadOnlyDictionary<string, string> environment)
    {
        var argv = new List<string> { tools["timeout"], "-s", "KILL", Seconds(limits.TimeoutSeconds + BackstopSlack) };
        if (uid is { } u)
        {
            argv.AddRange(DropPrivileges(tools, u));
        }
        argv.AddRange(Limits(tools, limits));
        argv.AddRange(Program(tools, workFolder, python, environment));
        return argv;
    }

    /// <summary>Size of the namespace sandbox's tmpfs: room for several files of the size limit, at least 16 MiB.</summary>
    public static int TmpfsMb(SandboxLimits limits) => Math.Max(16, 4 * limits.FileMb);

    private static IEnumerable<string> DropPrivileges(SandboxTools tools, int uid) =>
    [
        tools["setpriv"], $"--reuid={Int(uid)}", $"--regid={Int(uid)}", "--clear-groups", "--no-new-privs",
        "--inh-caps=-all", "--bounding-set=-all", "--",
    ];

    private static IEnumerable<string> Limits(SandboxTools tools, SandboxLimits limits)
    {
        var cpu = (long)Math.Ceiling(limits.CpuSeconds);
        return
        [
            tools["prlimit"], $"--cpu={cpu}:{cpu + 1}", $"--as={Bytes(limits.MemoryMb)}", $"--fsize={Bytes(limits.FileMb)}",
            $"--nofile={Int(limits.MaxFiles)}", $"--nproc={Int(limits.MaxProcesses)}", "--core=0", "--",
        ];
    }

    private static IEnumerable<string> Program(SandboxTools tools, string workFolder, PythonInterpreter python,
        IReadOnlyDictionary<string, string> environment) =>
    [
        tools["setsid"], tools["env"], "-i", "-C", workFolder, .. environment.Select(p => $"{p.Key}={p.Value}"),
        python.Executable, .. python.Flags, "solution.py",
    ];

    /// <summary>The program's whole environment (§4.2): a scrubbed set with the hash seed fixed, HOME and TMPDIR the
    /// work folder, a fixed PATH, and one math-library thread.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string workFolder) => new Dictionary<string, string>
    {
        ["PYTHONHASHSEED"] = "0",
        ["PYTHONUNBUFFERED"] = "1",
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["HOME"] = workFolder,
        ["TMPDIR"] = workFolder,
        ["PATH"] = "/usr/bin:/bin",
        ["LANG"] = "C.UTF-8",
        ["OMP_NUM_THREADS"] = "1",
        ["MKL_NUM_THREADS"] = "1",
        ["OPENBLAS_NUM_THREADS"] = "1",
        ["NUMEXPR_NUM_THREADS"] = "1",
        ["VECLIB_MAXIMUM_THREADS"] = "1",
    };

    private static string Bytes(int mb) => ((long)mb * 1024 * 1024).ToString(CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(double seconds) => Math.Ceiling(seconds).ToString(CultureInfo.InvariantCulture);
}
