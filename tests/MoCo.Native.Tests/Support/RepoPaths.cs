using System.Runtime.CompilerServices;

namespace MoCo.Native.Tests.Support;

/// <summary>Paths inside this checkout, found from the repository root (the folder holding MoCo.sln).</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> Root = new(() => FindRoot());

    public static string NativeDirectory => Path.Combine(Root.Value, "services", "inference-native", "native");

    public static string GoldenModels => Path.Combine(NativeDirectory, "tests", "golden", "models");

    public static string Header => Path.Combine(NativeDirectory, "include", "moco.h");

    public static string GoldenModel(string name) => Path.Combine(GoldenModels, name);

    // Walks up from the test assembly (artifacts inside the checkout), then from this source file (builds with
    // --artifacts-path outside it; CI's path map leaves the first route), then from the working directory.
    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        string[] starts = [AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? string.Empty, Directory.GetCurrentDirectory()];
        foreach (var start in starts.Where(Path.IsPathRooted))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "MoCo.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        Assert.Fail($"MoCo.sln not found above any of: {string.Join(", ", starts)}");
        return string.Empty;
    }
}
