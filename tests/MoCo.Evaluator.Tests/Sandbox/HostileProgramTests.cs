using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Sandbox;

/// <summary>
/// Hostile programs fail their own item and harm nothing else (the sandbox guarantees). Each program passes
/// its tests only if its attack works, so a pass would reveal a hole; the attacks bypass the Python audit hook with
/// ctypes where they can, so what is tested is the OS-level isolation. A correct program runs beside them.
/// </summary>
[Collection(SandboxCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class HostileProgramTests
{
    private const string Correct = "def add(a, b):\n    return a + b\n";

    private static Task<ItemOutcome> Run(string program) => CodingAcceptanceTests.Run(program, limits: CodingAcceptanceTests.Fast with { TimeoutSeconds = 2, CpuSeconds = 2 });

    // libc through ctypes: no audit event of the preamble's policy is raised.
    private const string Libc = "import ctypes, ctypes.util\nlibc = ctypes.CDLL(None, use_errno=True)\n";

    [SandboxFact]
    public async Task Attacks_fail_and_a_correct_program_beside_them_passes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var outside = Path.Combine(Path.GetTempPath(), "moco-escape-" + Guid.NewGuid().ToString("N"));
        var store = Directory.CreateTempSubdirectory("moco-run-store-").FullName;
        var secret = Path.Combine(store, "runs.db");
        // Readable by every uid on the host: only the sandbox's own root keeps the program from it.
        File.SetUnixFileMode(store, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await File.WriteAllTextAsync(secret, "secret");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = SandboxLeftovers();
        try
        {
            await RunAttacksAsync(listener, port, outside, secret, before);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
            File.Delete(outside);
        }
    }

    private static async Task RunAttacksAsync(TcpListener listener, int port, string outside, string secret, HashSet<string> before)
    {

        var attacks = new Dictionary<string, string>
        {
            ["network"] = Libc + $$"""
                import struct
                def add(a, b):
                    s = libc.socket(2, 1, 0)
                    addr = struct.pack('>HH4s8x', 2, {{port}}, bytes([127, 0, 0, 1]))
                    addr = struct.pack('<H', 2) + addr[2:]
                    assert s >= 0 and libc.connect(s, addr, len(addr)) == 0
                    return a + b
                """,
            ["socket through Python"] = "import socket\ndef add(a, b):\n    socket.create_connection(('127.0.0.1', " + port + "), timeout=1)\n    return a + b\n",
            ["write outside"] = Libc + $"def add(a, b):\n    fd = libc.open(b'{outside}', 0o101, 0o644)\n    assert fd >= 0\n    return a + b\n",
            ["read the run store"] = Libc + $"def add(a, b):\n    assert libc.open(b'{secret}', 0) >= 0\n    return a + b\n",
            ["read /etc/passwd"] = "def add(a, b):\n    open('/etc/passwd').read()\n    return a + b\n",
            ["subprocess"] = "import subprocess\ndef add(a, b):\n    subprocess.run(['true'])\n    return a + b\n",
            ["run as root"] = "import os\ndef add(a, b):\n    assert os.getuid() == 0 or os.geteuid() == 0\n    return a + b\n",
            ["fork bomb"] = "import os\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
            ["huge output"] = "import sys\ndef add(a, b):\n    for _ in range(400):\n        sys.stdout.write('x' * 1000000)\n    return a + b\n",
            ["huge stderr"] = "import sys\ndef add(a, b):\n    while True:\n        sys.stderr.write('y' * 100000)\n",
            ["infinite loop"] = "def add(a, b):\n    while True:\n        pass\n",
            ["sleep forever in a child"] = "import os, time\ndef add(a, b):\n    if os.fork() == 0:\n        os.setsid()\n        time.sleep(3600)\n    return a + b\n",
            ["correct"] = Correct,
        };
        var runs = attacks.ToDictionary(a => a.Key, a => Run(a.Value));
        await Task.WhenAll(runs.Values);

        foreach (var (name, run) in runs)
        {
            var outcome = await run;
            Assert.True(outcome.Error is null, $"{name}: sandbox failure {outcome.Error}");
            Assert.DoesNotContain(ItemFlags.SandboxWeak, outcome.Flags);
            if (name is "correct" or "sleep forever in a child")
            {
                Assert.True(outcome.Score == 1.0, $"{name}: {outcome.Detail?.SandboxStatus} {outcome.Detail?.StderrTail}");
            }
            else
            {
                Assert.True(outcome.Score == 0.0, $"{name} passed: the attack worked ({outcome.Detail?.SandboxStatus})");
            }
        }
        Assert.Equal(SandboxStatus.Timeout, (await runs["infinite loop"]).Detail!.SandboxStatus);

        Assert.False(listener.Pending(), "a sandboxed program reached a host socket");
        Assert.False(File.Exists(outside), "a sandboxed program wrote outside its folder");
        Assert.Equal(before, SandboxLeftovers());
        Assert.Empty(SandboxProcesses());
    }

    [SandboxFact]
    public async Task A_flood_of_output_is_cut_at_the_cap_and_killed_at_once()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = await CodingAcceptanceTests.Run("import sys\ndef add(a, b):\n    while True:\n        sys.stdout.write('x' * 100000)\n",
            limits: CodingAcceptanceTests.Fast with { TimeoutSeconds = 20, CpuSeconds = 20 });
        Assert.Equal((0.0, SandboxStatus.Killed), (outcome.Score!.Value, outcome.Detail!.SandboxStatus));
        Assert.Contains(ItemFlags.OutputTruncated, outcome.Flags);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"killed only after {clock.Elapsed}");
    }

    // Temporary folders of the sandbox still on disk (every run removes its own).
    private static HashSet<string> SandboxLeftovers() =>
        Directory.EnumerateDirectories(Path.GetTempPath(), "eval_sandbox_*").ToHashSet();

    // Processes still running under a sandbox uid: the namespace's death took every one of them.
    private static List<string> SandboxProcesses()
    {
        var baseUid = new MoCo.Evaluator.Service.EvaluatorOptions().SandboxUidBase;
        return [.. SandboxUidPool.Processes().Where(p => p.RealUid >= baseUid).Select(p => p.Process)];
    }
}
