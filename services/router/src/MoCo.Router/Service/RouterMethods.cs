using MoCo.Hosting.Errors;

namespace MoCo.Router.Service;

/// <summary>Which api_* method Route and Complete serve in this build (methods-api.md §0.11; TrainRouter fits every one),
/// and the UNIMPLEMENTED answer for the others, naming what they need and where they run today.</summary>
public static class RouterMethods
{
    /// <summary>Methods whose stored routers Route and Complete serve.</summary>
    public static IReadOnlySet<string> Routable { get; } = new HashSet<string>(["api_prompt_routing", "api_trained_router", "api_graph_routing"]);

    /// <summary>Methods whose stored routers Complete serves (Route does not apply: api_collm decides per token,
    /// api_switch_generation per patch).</summary>
    public static IReadOnlySet<string> Completable { get; } = new HashSet<string>(["api_prompt_routing", "api_trained_router", "api_graph_routing", "api_cascade", "api_collm",
        "api_switch_generation", "api_nudging"]);

    /// <summary>Methods whose fit learns from every model's dev outcomes (DevProfile, methods-api.md §0.3): a dev_view makes
    /// the router generate and score them; the others read only the dev prompts.</summary>
    public static IReadOnlySet<string> Profiled { get; } = new HashSet<string>(["api_prompt_routing", "api_trained_router", "api_graph_routing"]);

    /// <summary>Methods whose TrainRouter reads no dev_set: api_collm trains on its own training set, api_mentor_collab fits
    /// nothing, and api_nudging searches on a dev_view only when asked to.</summary>
    public static IReadOnlySet<string> DevOptional { get; } = new HashSet<string>(["api_collm", "api_mentor_collab", "api_nudging"]);

    /// <summary>Every api_* method id.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>([
        "api_nudging", "api_prompt_routing", "api_switch_generation", "api_trained_router", "api_graph_routing", "api_cascade",
        "api_mentor_collab", "api_collm"]);

    /// <summary>UNIMPLEMENTED for <paramref name="method"/> on <paramref name="rpc"/>.</summary>
    public static Grpc.Core.RpcException NotServed(string rpc, string method) => MocoErrors.Unimplemented($"moco.v1.RouterService/{rpc} for {method}",
        "its router in the router service (today Route and Complete serve stored api_prompt_routing, api_trained_router and api_graph_routing routers, Complete serves "
            + "api_cascade's level loop, api_switch_generation's patch loop, api_collm's trained generators and decodes api_nudging and api_mentor_collab; run the method with `moco run`)");
}
