using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Tests;

/// <summary>The shared MoCo datasets (MOCO_DATA_DIR, else ../shared/datasets/moco beside the repository root) and a
/// validator over them.</summary>
internal static class TestData
{
    /// <summary>The repository root the tests were built from.</summary>
    public static string RepoRoot => MoCo.Testing.Checkout.Root;

    public static string DataDir { get; } = Find();

    public static ValidationOptions Options(bool allowUnknownKeys = false) =>
        new(AllowUnknownKeys: allowUnknownKeys, DataDirectories: [DataDir]);

    public static ValidationResult Validate(string text, bool allowUnknownKeys = false, bool checkTask = true) =>
        new ConfigValidator(MethodRegistry.Default).Validate(text, "test.json", checkTask ? Options(allowUnknownKeys) : new ValidationOptions(allowUnknownKeys));

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("MOCO_DATA_DIR") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Split(Path.PathSeparator)[0];
        }
        return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "moco"));
    }


}
