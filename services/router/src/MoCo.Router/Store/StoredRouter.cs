using System.Text.Json.Nodes;

namespace MoCo.Router.Store;

/// <summary>
/// A fitted router as stored (methods-api.md §0.11): its id and version, the method and models it routes between,
/// where it came from (run, call key), and the method's parameters in <paramref name="Payload"/> — for a text router
/// {`router_model`, `prompt`, `descriptions`, `fallback`}, for api_graph_routing the network's weights.
/// </summary>
/// <param name="RouterId">Router id, for Route and Complete.</param>
/// <param name="Method">Method id, e.g. "api_prompt_routing".</param>
/// <param name="Version">1 for the first router of (method, model_names), one higher for each refit.</param>
/// <param name="Artifact">The model id of a trained router model, or the router's file under the artifacts folder.</param>
/// <param name="ModelNames">The models it routes between, in order.</param>
/// <param name="RunId">The run that fitted it; empty when fitted outside a run.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="CallKey">The fitting call's key: fitting again with the same key returns this router.</param>
/// <param name="Payload">The method's parameters.</param>
public sealed record StoredRouter(string RouterId, string Method, int Version, string Artifact, IReadOnlyList<string> ModelNames, string RunId,
    DateTimeOffset CreatedAt, string CallKey, JsonObject Payload);
