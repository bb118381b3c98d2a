namespace MoCo.Evaluator.Sandbox;

/// <summary>
/// The system programs the sandbox runs, all from util-linux and coreutils (Debian 12: packages util-linux and
/// coreutils, both essential): unshare, setpriv, prlimit and setsid; timeout, env and chroot; plus /bin/sh and
/// mount for the launcher.
/// </summary>
/// <param name="Paths">Program name → full path, for those found.</param>
public sealed record SandboxTools(IReadOnlyDictionary<string, string> Paths)
{
    /// <summary>Programs namespace isolation needs.</summary>
    public static readonly string[] ForNamespaces = ["timeout", "unshare", "sh", "mount", "chroot", "setpriv", "prlimit", "setsid", "env"];

    /// <summary>Programs weak isolation needs (setpriv only when running as root).</summary>
    public static readonly string[] ForWeak = ["timeout", "prlimit", "setsid", "env"];

    /// <summary>Looks every program up on PATH and in the system folders.</summary>
    public static SandboxTools Find() => new(
        ForNamespaces.Select(n => (n, ExecutableSearch.Find(n))).Where(p => p.Item2 is not null).ToDictionary(p => p.n, p => p.Item2!));

    /// <summary>The full path of <paramref name="name"/>.</summary>
    public string this[string name] => Paths[name];

    /// <summary>The programs of <paramref name="needed"/> that are missing.</summary>
    public IReadOnlyList<string> Missing(IEnumerable<string> needed) => needed.Where(n => !Paths.ContainsKey(n)).ToList();
}
