using System.Text.Json.Nodes;
using MoCo.Hosting.Json;

namespace MoCo.Orchestrator.Engine;

/// <summary>What changed between two config trees, one line per changed leaf as `path: old → new` (config-and-cli.md
/// §5.3's resume refusal), compared in canonical form so 5 and 5.0 or key order are no change.</summary>
public static class ConfigDiff
{
    private const int MaxValueChars = 60;

    /// <summary>The changed paths, in key order (object keys sorted, array elements by index).</summary>
    public static IReadOnlyList<string> Lines(JsonNode? before, JsonNode? after)
    {
        var lines = new List<string>();
        Walk("", before, after, lines);
        return lines;
    }

    private static void Walk(string path, JsonNode? before, JsonNode? after, List<string> lines)
    {
        if (before is JsonObject a && after is JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
            {
                var child = path.Length == 0 ? key : $"{path}.{key}";
                if (!a.ContainsKey(key) || !b.ContainsKey(key))
                {
                    lines.Add($"{child}: {(a.ContainsKey(key) ? Show(a[key]) : "(absent)")} → {(b.ContainsKey(key) ? Show(b[key]) : "(absent)")}");
                }
                else
                {
                    Walk(child, a[key], b[key], lines);
                }
            }
            return;
        }
        if (before is JsonArray x && after is JsonArray y && x.Count == y.Count)
        {
            for (var i = 0; i < x.Count; i++)
            {
                Walk($"{path}[{i}]", x[i], y[i], lines);
            }
            return;
        }
        if (CanonicalJson.Serialize(before) != CanonicalJson.Serialize(after))
        {
            lines.Add($"{path}: {Show(before)} → {Show(after)}");
        }
    }

    private static string Show(JsonNode? node)
    {
        var text = CanonicalJson.Serialize(node);
        return text.Length <= MaxValueChars ? text : text[..(MaxValueChars - 1)] + "…";
    }
}
