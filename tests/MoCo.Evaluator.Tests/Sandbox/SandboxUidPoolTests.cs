using System.Diagnostics;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Sandbox;

/// <summary>The sandbox's uids (<see cref="SandboxUidPool"/>): one returned idle is handed out again; one returned while a
/// process still runs under it (a killed program's leftovers, which RLIMIT_NPROC would charge to the next program) is
/// retired.</summary>
public sealed class SandboxUidPoolTests
{
    [SandboxFact]
    public async Task A_uid_with_a_process_left_is_retired_and_an_idle_one_reused()
    {
        var pool = new SandboxUidPool(new MoCo.Evaluator.Service.EvaluatorOptions().SandboxUidBase + 900_000);
        var (busy, idle) = (pool.Rent(), pool.Rent());
        using var leftover = Process.Start(new ProcessStartInfo("setpriv", [$"--reuid={busy}", $"--regid={busy}", "--clear-groups", "sleep", "60"])
        {
            UseShellExecute = false,
        })!;
        try
        {
            while (!SandboxUidPool.HasProcesses(busy))
            {
                Assert.False(leftover.HasExited, "setpriv did not start sleep under the uid");
                await Task.Delay(10);
            }
            pool.Return(busy);
            pool.Return(idle);
            Assert.False(SandboxUidPool.HasProcesses(idle));

            Assert.Equal(idle, pool.Rent());
            var fresh = pool.Rent();
            Assert.NotEqual(busy, fresh);
            Assert.Equal(idle + 1, fresh);
        }
        finally
        {
            leftover.Kill();
            await leftover.WaitForExitAsync();
        }
    }
}
