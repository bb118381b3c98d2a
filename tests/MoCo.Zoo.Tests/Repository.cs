namespace MoCo.Zoo.Tests;

/// <summary>Paths of the checkout the tests were built from.</summary>
internal static class Repository
{
    public static string Root => MoCo.Testing.Checkout.Root;

    public static string Data => Path.Combine(Root, "data");

    public static string Models => Path.Combine(Root, "models");
}
