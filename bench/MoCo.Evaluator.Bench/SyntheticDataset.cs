using System.Globalization;
using System.Text.Json;

namespace MoCo.Evaluator.Bench;

/// <summary>A generated exact_match file of many items (no dataset content), for the 10k-item streaming run.</summary>
public static class SyntheticDataset
{
    public static string Write(string folder, int items)
    {
        var path = Path.Combine(folder, "synthetic_10k.json");
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("task_type", "exact_match");
        json.WriteStartArray("test");
        for (var i = 0; i < items; i++)
        {
            json.WriteStartObject();
            json.WriteString("input", $"What is {i} + {i}? Explain your reasoning step by step before answering.");
            json.WriteString("output", (2 * i).ToString(CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        return path;
    }

    /// <summary>A long-ish output per item (≈ 2 KB of reasoning, then the boxed answer).</summary>
    public static string Output(int i) =>
        string.Concat(Enumerable.Repeat($"Step: adding {i} to itself. ", 64)) + $"\\boxed{{{(2 * i).ToString(CultureInfo.InvariantCulture)}}}";
}
