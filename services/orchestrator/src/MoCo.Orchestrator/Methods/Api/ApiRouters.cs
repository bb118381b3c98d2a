using System.Text.Json.Nodes;
using MoCo.Router.Store;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>Stores the router a run fitted in the router store of the run's artifacts folder
/// (`&lt;MOCO_ARTIFACTS_DIR&gt;/routers/`), keyed by the run, so the router service can serve it by id (Complete with
/// router_id) after the run, and a resumed run finds the same router instead of a new version.</summary>
public static class ApiRouters
{
    /// <summary>The router of this run's method with <paramref name="payload"/>; <paramref name="artifact"/> = a
    /// trained router model's id (null = the router's own file).</summary>
    public static StoredRouter Save(MethodContext context, JsonObject payload, string? artifact = null)
    {
        var store = RouterStore.InArtifacts(context.ArtifactsRoot ?? new MoCo.Hosting.MocoEnvironment().ArtifactsDirectory);
        return store.Save(context.Config.Method, context.Config.ModelNames, context.RunId, $"run/{context.RunId}", payload, artifact);
    }

    /// <summary>api_switch_generation's router payload: the selector model that picks each patch's author (a given
    /// selector_model_name or the trained selector's id).</summary>
    public static JsonObject Selector(string selectorModel) => new()
    {
        ["kind"] = "selector",
        ["selector_model"] = selectorModel,
    };

    /// <summary>A text router's payload (api_prompt_routing, api_trained_router): the model that routes, which prompt
    /// it reads, the descriptions (null = none), and the fallback model index (−1 = a seeded uniform draw).</summary>
    public static JsonObject TextRouter(string routerModel, string prompt, IReadOnlyList<string>? descriptions, int fallback) => new()
    {
        ["kind"] = "text",
        ["router_model"] = routerModel,
        ["prompt"] = prompt,
        ["descriptions"] = descriptions is null ? null : new JsonArray([.. descriptions.Select(d => (JsonNode?)JsonValue.Create(d))]),
        ["fallback"] = fallback,
    };
}
