using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MoCo.Hosting.Json;

namespace MoCo.Hosting.Randomness;

/// <summary>
/// The sampling seed of a model call (config-and-cli.md §5.2): the first 8 bytes of SHA-256 of the canonical JSON of
/// {run seed, method, phase, role, model, item, index}, without the request and the compat mode, so both modes draw the
/// same random numbers. Runs seed every call with it, and the router service seeds a served call for a run's item with
/// it, so with sampling on a served item draws what the run drew.
/// </summary>
public static class CallSeeds
{
    /// <summary>The seed of the call of <paramref name="method"/> in <paramref name="phase"/> by <paramref name="role"/>
    /// to the model with fingerprint <paramref name="model"/> for item <paramref name="itemKey"/> (`split/index`) and
    /// sample, round or iteration <paramref name="index"/>.</summary>
    public static ulong Of(ulong runSeed, string method, string phase, string role, string model, string itemKey, int index)
    {
        var canonical = CanonicalJson.Serialize(new JsonObject
        {
            ["seed"] = runSeed.ToString(CultureInfo.InvariantCulture),
            ["method"] = method,
            ["phase"] = phase,
            ["role"] = role,
            ["model"] = model,
            ["item"] = itemKey,
            ["index"] = index,
        });
        return BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
