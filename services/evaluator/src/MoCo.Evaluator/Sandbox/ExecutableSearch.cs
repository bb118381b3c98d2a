namespace MoCo.Evaluator.Sandbox;

/// <summary>Finds programs the way a shell does, plus the sbin folders a non-root PATH often lacks (chroot, mount).</summary>
public static class ExecutableSearch
{
    private static readonly string[] SystemFolders = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The full path of <paramref name="name"/> (a path is taken as is); null when not found.</summary>
    public static string? Find(string name, bool includeSystemFolders = true)
    {
        if (name.Contains(Path.DirectorySeparatorChar))
        {
            return IsExecutable(name) ? Path.GetFullPath(name) : null;
        }
        var folders = MoCo.Hosting.MocoEnvironment.SplitPath(Environment.GetEnvironmentVariable("PATH"));
        if (includeSystemFolders)
        {
            folders = folders.Concat(SystemFolders);
        }
        return folders.Select(f => Path.Combine(f, name)).FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        return OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
