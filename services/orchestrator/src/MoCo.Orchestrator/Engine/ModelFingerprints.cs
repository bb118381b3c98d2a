using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Engine;

/// <summary>The model fingerprints a run stores (config-and-cli.md §5.1) and compares on resume (§5.3): per distinct
/// model name its first index in model_names and the inference service's fingerprint of its files.</summary>
public static class ModelFingerprints
{
    /// <summary>The fingerprints as stored: [{index, name, fingerprint}]. A model the service cannot describe now gets
    /// an empty fingerprint: the run itself reports that model's error, and an unknown fingerprint compares as unchanged.</summary>
    public static async Task<string> CollectAsync(IGenerationBackend backend, RunConfig config, CancellationToken cancellationToken)
    {
        var list = new JsonArray();
        var names = config.ModelNames;
        for (var i = 0; i < names.Count; i++)
        {
            if (names.Take(i).Contains(names[i], StringComparer.Ordinal))
            {
                continue;
            }
            string fingerprint;
            try
            {
                fingerprint = await backend.FingerprintAsync(names[i], cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                fingerprint = "";
            }
            list.Add(new JsonObject { ["index"] = i, ["name"] = names[i], ["fingerprint"] = fingerprint });
        }
        return list.ToJsonString();
    }

    /// <summary>One line per model whose known fingerprint differs, e.g.
    /// `model_names[2]: ./ckpt fingerprint 4be1… → 91c0… (files changed)`.</summary>
    public static IReadOnlyList<string> Changes(string storedJson, string currentJson)
    {
        var current = Read(currentJson).ToDictionary(m => m.Name, StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (var stored in Read(storedJson))
        {
            if (current.TryGetValue(stored.Name, out var now) && stored.Fingerprint.Length > 0 && now.Fingerprint.Length > 0 && stored.Fingerprint != now.Fingerprint)
            {
                lines.Add($"model_names[{stored.Index}]: {stored.Name} fingerprint {Short(stored.Fingerprint)} → {Short(now.Fingerprint)} (files changed)");
            }
        }
        return lines;
    }

    private static IEnumerable<(int Index, string Name, string Fingerprint)> Read(string json) =>
        JsonNode.Parse(json) is JsonArray array
            ? array.OfType<JsonObject>().Select(m => ((int?)m["index"] ?? 0, (string?)m["name"] ?? "", (string?)m["fingerprint"] ?? ""))
            : [];

    private static string Short(string fingerprint) => fingerprint.Length > 4 ? fingerprint[..4] + "…" : fingerprint;
}
