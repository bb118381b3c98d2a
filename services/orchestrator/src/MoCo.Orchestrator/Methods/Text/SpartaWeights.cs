using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// The player weights W of SPARTA's `dynamic` and `static` score types (methods-text.md §12 step 5), read from the
/// run's own earlier `iteration_{v}/model_info.json` files under the side-file folder. `normal`, and every type before
/// iteration 2, weigh all players 1. Iteration 7 saves its weights as `iteration_7/weights.json`; later iterations load
/// that file (all 1 when it is missing).
/// </summary>
public static class SpartaWeights
{
    /// <summary>W of every model at iteration <paramref name="iteration"/>; <paramref name="folder"/> is the side-file
    /// folder (`base_dir` in the run's artifact folder).</summary>
    public static Dictionary<string, double> For(string scoreType, int iteration, string folder, IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var weights = models.ToDictionary(m => m, _ => 1.0, StringComparer.Ordinal);
        if (scoreType == "normal" || iteration < 2)
        {
            return weights;
        }
        var saved = Path.Combine(folder, "iteration_7", "weights.json");
        if (iteration >= 8)
        {
            return File.Exists(saved)
                ? JsonNode.Parse(File.ReadAllText(saved))!.AsObject().ToDictionary(p => p.Key, p => (double)p.Value!, StringComparer.Ordinal)
                : weights;
        }
        if (scoreType == "dynamic")
        {
            if (ModelInfo(folder, iteration - 1) is not { } previous)
            {
                return weights;
            }
            // Ascending by score, stable in file order: the i-th lowest of the first t − 1 gets 0 (i = 0) or 0.1·i.
            var sorted = previous.OrderBy(p => p.Score).Select(p => p.Name).ToList();
            for (var i = 0; i < Math.Min(iteration - 1, sorted.Count); i++)
            {
                weights[sorted[i]] = i == 0 ? 0.0 : 0.1 * i;
            }
        }
        else
        {
            var picked = new List<string>();
            for (var v = 2; v <= iteration; v++)
            {
                if (ModelInfo(folder, v - 1)?.OrderBy(p => p.Score).FirstOrDefault(p => !picked.Contains(p.Name)) is { Name: { } name })
                {
                    weights[name] = picked.Count == 0 ? 0.0 : 0.1 * picked.Count;
                    picked.Add(name);
                }
            }
        }
        if (iteration == 7)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
            File.WriteAllText(saved, PyJsonWriter.Serialize(new JsonObject([.. weights.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))]),
                ensureAscii: true, indent: 2));
        }
        return weights;
    }

    /// <summary>The (name, score) entries of `iteration_{iteration}/model_info.json` in file order, or null when absent.</summary>
    public static IReadOnlyList<(string Name, double Score)>? ModelInfo(string folder, int iteration)
    {
        var path = Path.Combine(folder, $"iteration_{iteration}", "model_info.json");
        return File.Exists(path)
            ? [.. JsonNode.Parse(File.ReadAllText(path))!.AsObject().Select(p => (p.Key, (double?)p.Value?["score"] ?? 100.0))]
            : null;
    }
}
