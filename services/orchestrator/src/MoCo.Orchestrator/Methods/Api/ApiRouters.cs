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
}
