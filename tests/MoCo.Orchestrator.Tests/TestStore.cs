using System.Runtime.CompilerServices;

namespace MoCo.Orchestrator.Tests;

/// <summary>Keeps every host the tests start off the user's run store: MOCO_RUN_STORE points at a temporary file.</summary>
internal static class TestStore
{
    [ModuleInitializer]
    internal static void UseTemporaryStore()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MOCO_RUN_STORE")))
        {
            Environment.SetEnvironmentVariable("MOCO_RUN_STORE", Path.Combine(Path.GetTempPath(), $"moco-tests-{Environment.ProcessId}", "runs.db"));
        }
    }
}
