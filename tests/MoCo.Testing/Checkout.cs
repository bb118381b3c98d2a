using System.Reflection;

namespace MoCo.Testing;

/// <summary>The source checkout the tests were built from (the RepoRoot this project's build records).</summary>
public static class Checkout
{
    /// <summary>Its root folder.</summary>
    public static string Root { get; } =
        typeof(Checkout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}
