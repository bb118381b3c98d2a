using System.Text.RegularExpressions;

namespace MoCo.Native.Tests;

/// <summary>Facts read from the native sources in this checkout, so tests compare with the truth, not a copy.</summary>
internal static partial class NativeSource
{
    private const string CMakeListsRelative = "services/inference-native/native/CMakeLists.txt";

    /// <summary>The VERSION of `project(moco ...)` in the native CMakeLists.txt.</summary>
    public static string DeclaredVersion()
    {
        var text = File.ReadAllText(FindCMakeLists());
        var match = ProjectVersion().Match(text);
        Assert.True(match.Success, $"no `project(moco ... VERSION x.y.z ...)` in {CMakeListsRelative}");
        return match.Groups[1].Value;
    }

    // Through the repository root, so builds with --artifacts-path outside the checkout find it too.
    private static string FindCMakeLists() => Path.Combine(Support.RepoPaths.NativeDirectory, "CMakeLists.txt");

    [GeneratedRegex(@"project\s*\(\s*moco\b[^)]*?\bVERSION\s+(\d+\.\d+\.\d+)", RegexOptions.Singleline)]
    private static partial Regex ProjectVersion();
}
