using System.Reflection;

namespace MoCo.Hosting;

/// <summary>The MoCo.NET release these assemblies belong to.</summary>
public static class MocoInfo
{
    /// <summary>Semantic version without build metadata, e.g. "0.1.0".</summary>
    public static string Version { get; } = ReadVersion();

    private static string ReadVersion()
    {
        var informational = typeof(MocoInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
