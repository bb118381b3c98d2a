using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Sandbox;

/// <summary>Weak isolation (allow_weak_isolation): rlimits, a new session and the preamble, the uid still dropped
/// when the evaluator is root.</summary>
[Collection(SandboxCollection.Name)]
public sealed class WeakIsolationTests
{
    [SandboxFact]
    public async Task Programs_run_as_an_unprivileged_uid_with_limits()
    {
        // Dropped to another uid on the real filesystem, the program needs an interpreter every user can run.
        var python = await new PythonLocator(_ => null).FindAsync(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : null, CancellationToken.None);
        const string program = "import os, resource\nprint('uid', os.getuid(), 'nproc', resource.getrlimit(resource.RLIMIT_NPROC)[0], 'cwd', os.getcwd())\n";
        var run = await Runtimes.Runner.RunAsync(program, python, new SandboxLimits { MaxProcesses = 3 }, SandboxMode.Weak, ["uid "], CancellationToken.None);
        Assert.True(run.ExitCode == 0, run.Stderr.Tail(1024));
        var words = run.Stdout.Last.Split(' ', StringSplitOptions.TrimEntries);
        Assert.NotEqual("0", words[1]);
        Assert.Equal("3", words[3]);
        Assert.Contains("eval_sandbox_", words[5]);
        Assert.False(Directory.Exists(Path.GetDirectoryName(words[5])), "the temporary folder was not removed");
    }

    [Fact]
    public async Task Without_permission_a_missing_isolation_is_a_failed_precondition()
    {
        if (SandboxRunner.IsRoot)
        {
            return; // root has namespace isolation: nothing to refuse
        }
        var runtime = Runtimes.Shared;
        var e = await Assert.ThrowsAsync<MoCo.Evaluator.Errors.EvaluatorException>(() => runtime.Sandbox.PrepareAsync(new SandboxLimits(), CancellationToken.None));
        Assert.Contains("allow_weak_isolation", e.Message);
    }
}
