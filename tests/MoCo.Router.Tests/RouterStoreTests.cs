using System.Text.Json.Nodes;
using MoCo.Router.Store;

namespace MoCo.Router.Tests;

/// <summary>The router store (methods-api.md §0.11): stored, versioned, found by id, the same call key → the same router.</summary>
public sealed class RouterStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-routers-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void A_refit_gets_the_next_version_and_the_same_key_returns_the_stored_router()
    {
        var store = new RouterStore(_directory);
        var first = store.Save("api_prompt_routing", ["a", "b"], "run1", "run/run1", new JsonObject { ["router_model"] = "a" });
        var second = store.Save("api_prompt_routing", ["a", "b"], "run2", "run/run2", new JsonObject { ["router_model"] = "b" });
        var other = store.Save("api_prompt_routing", ["a", "c"], "run3", "run/run3", new JsonObject());
        Assert.Equal((1, 2, 1), (first.Version, second.Version, other.Version));
        Assert.Equal(first.RouterId, store.Save("api_prompt_routing", ["a", "b"], "run1", "run/run1", new JsonObject { ["router_model"] = "z" }).RouterId);

        var reopened = new RouterStore(_directory);
        var found = reopened.Find(second.RouterId)!;
        Assert.Equal(("b", "run2", "routers/" + second.RouterId + ".json"), ((string)found.Payload["router_model"]!, found.RunId, found.Artifact));
        Assert.Equal(3, reopened.List("api_prompt_routing").Count);
        Assert.Empty(reopened.List("api_cascade"));
        Assert.Null(reopened.Find("../etc/passwd"));
        Assert.Null(reopened.Find("prompt-routing-0000000000000000"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
