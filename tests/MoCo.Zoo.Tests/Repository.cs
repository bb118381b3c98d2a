using System.Reflection;

namespace MoCo.Zoo.Tests;

/// <summary>Paths of the checkout the tests were built from.</summary>
internal static class Repository
{
    public static string Root { get; } = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Data => Path.Combine(Root, "data");

    public static string Models => Path.Combine(Root, "models");
}
