using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MoCo.Hosting.Json;
using MoCo.Hosting.Randomness;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// Call keys and sampling seeds (config-and-cli.md §5.2). Key = hex SHA-256 of the canonical JSON of {method, compat,
/// phase, role, model, item, index, request}; seed = first 8 bytes of SHA-256 of the canonical JSON of {run seed,
/// method, phase, role, model, item, index} — without the request and the compat mode, so both modes draw the same
/// random numbers.
/// </summary>
public static class CallKeys
{
    /// <summary>The call key.</summary>
    /// <param name="site">Method, compat, phase, role.</param>
    /// <param name="model">Model fingerprint or artifact id.</param>
    /// <param name="itemKey">Item key.</param>
    /// <param name="index">Sample, round or iteration index.</param>
    /// <param name="request">The full request (messages or prompt, sampling parameters, derived seed).</param>
    public static string Key(CallSite site, string model, string itemKey, int index, JsonNode? request) =>
        Hex(new JsonObject
        {
            ["method"] = site.Method,
            ["compat"] = site.Compat.Name(),
            ["phase"] = site.Phase,
            ["role"] = site.Role,
            ["model"] = model,
            ["item"] = itemKey,
            ["index"] = index,
            ["request"] = request?.DeepClone(),
        });

    /// <summary>The sampling seed of a call: <see cref="CallSeeds.Of"/> of the site's method, phase and role (the one
    /// derivation the router service also seeds served calls with).</summary>
    public static ulong Seed(ulong runSeed, CallSite site, string model, string itemKey, int index) =>
        CallSeeds.Of(runSeed, site.Method, site.Phase, site.Role, model, itemKey, index);

    /// <summary>Hex SHA-256 of the canonical JSON of <paramref name="node"/>.</summary>
    public static string Hex(JsonNode node) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson.Serialize(node))));
}
