using System.Text.Json.Nodes;

namespace MoCo.Router.Store;

/// <summary>The stored payloads of the routers the router service serves by kind, as runs and TrainRouter store them.</summary>
public static class RouterPayloads
{
    /// <summary>A text router's payload (api_prompt_routing, api_trained_router): the model that routes, which prompt it
    /// reads, the descriptions (null = none), and the fallback model index (−1 = a seeded uniform draw).</summary>
    public static JsonObject Text(string routerModel, string prompt, IReadOnlyList<string>? descriptions, int fallback) => new()
    {
        ["kind"] = "text",
        ["router_model"] = routerModel,
        ["prompt"] = prompt,
        ["descriptions"] = descriptions is null ? null : new JsonArray([.. descriptions.Select(d => (JsonNode?)JsonValue.Create(d))]),
        ["fallback"] = fallback,
    };

    /// <summary>api_switch_generation's payload: the selector model that picks each patch's author (a given
    /// selector_model_name or the trained selector's id).</summary>
    public static JsonObject Selector(string selectorModel) => new()
    {
        ["kind"] = "selector",
        ["selector_model"] = selectorModel,
    };
}
