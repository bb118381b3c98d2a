namespace MoCo.Router;

/// <summary>What the router's RPCs wait on in this build: none is pending as a whole; inside TrainRouter, Route and
/// Complete the methods not served here answer UNIMPLEMENTED naming what they need (<see cref="Service.RouterMethods"/>).</summary>
public static class RouterCapabilities
{
    /// <summary>RPC name → missing capability (empty: every RPC is served).</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>();

    /// <summary>The RPCs the service serves.</summary>
    public static IReadOnlySet<string> Served { get; } = new HashSet<string>(["Route", "ListRouters", "Complete", "TrainRouter"]);
}
