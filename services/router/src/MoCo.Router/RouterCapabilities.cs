namespace MoCo.Router;

/// <summary>What the router's RPCs wait on in this build.</summary>
public static class RouterCapabilities
{
    /// <summary>RPC name → missing capability.</summary>
    public static IReadOnlyDictionary<string, string> Pending { get; } = new Dictionary<string, string>
    {
        ["Route"] = "the API-level routing methods (api_prompt_routing, api_trained_router, api_graph_routing)",
        ["Complete"] = "the API-level collaboration methods (routing, cascades, deferral, token-level switching)",
        ["TrainRouter"] = "the router trainers and the router store",
        ["ListRouters"] = "the router store",
    };
}
