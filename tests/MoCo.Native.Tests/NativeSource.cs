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

    private static string FindCMakeLists()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, CMakeListsRelative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"{CMakeListsRelative} not found above {AppContext.BaseDirectory}");
        return string.Empty;
    }

    [GeneratedRegex(@"project\s*\(\s*moco\b[^)]*?\bVERSION\s+(\d+\.\d+\.\d+)", RegexOptions.Singleline)]
    private static partial Regex ProjectVersion();
}
