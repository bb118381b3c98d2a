namespace MoCo.Evaluator.Sandbox;

/// <summary>A probed Python interpreter: the real executable behind whatever name or shim was configured, its
/// prefixes (which the sandbox exposes read-only) and its version.</summary>
/// <param name="Executable">sys.executable: the real binary.</param>
/// <param name="Prefix">sys.prefix.</param>
/// <param name="BasePrefix">sys.base_prefix.</param>
/// <param name="Version">sys.version_info[:3].</param>
public sealed record PythonInterpreter(string Executable, string Prefix, string BasePrefix, Version Version)
{
    /// <summary>Oldest supported version: audit hooks arrived in 3.8.</summary>
    public static readonly Version Minimum = new(3, 8);

    /// <summary>The interpreter's command-line flags in the sandbox: no user site, no bytecode, unbuffered, UTF-8
    /// mode, and (3.11+) no script folder on sys.path. Not -I/-E: PYTHONHASHSEED=0 must take effect (§4.2).</summary>
    public IReadOnlyList<string> Flags => Version >= new Version(3, 11) ? ["-s", "-B", "-u", "-X", "utf8", "-P"] : ["-s", "-B", "-u", "-X", "utf8"];

    /// <summary>Folders the interpreter needs that the sandbox must expose (outside /usr).</summary>
    public IEnumerable<string> Folders =>
        new[] { Prefix, BasePrefix, Path.GetDirectoryName(Executable)! }
            .Select(Path.GetFullPath).Distinct(StringComparer.Ordinal)
            .Where(f => f != "/usr" && !f.StartsWith("/usr/", StringComparison.Ordinal) && f != "/");
}
