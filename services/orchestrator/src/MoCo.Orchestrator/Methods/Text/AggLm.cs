using System.Text;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>The rules of text_agglm (methods-text.md §6): the aggregator prompt, the hard/easy split of candidate groups
/// and the cache stem.</summary>
public static class AggLm
{
    /// <summary>The aggregator instruction over the problem and the solutions (0-based labels, model order).</summary>
    public static string Prompt(string problem, IEnumerable<string> solutions)
    {
        var joined = string.Join("\n", solutions.Select((s, k) => $"### Solution {k} begin\n{s}### Solution {k} end\n"));
        return new StringBuilder("Given the following problem:\n### Problem begin\n").Append(problem).Append("\n### Problem end\nand these solution attempts:\n")
            .Append(joined)
            .Append("\nIt is possible that any, all, or none of these solutions are correct or complete. Carefully review the provided solutions, using them as "
                + "starting points—correcting mistakes, filling in gaps, and/or combining useful ideas—to produce a final, comprehensive, and correct solution to "
                + "the problem. Make sure to provide the final answer in the same format as the solutions.\n")
            .ToString();
    }

    /// <summary>A group is hard when the score of the first generation giving the most frequent parsed answer (ties to
    /// the first occurring; null is an answer like any other) is not exactly 1.</summary>
    public static bool IsHard(IReadOnlyList<string?> parsed, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(scores);
        var order = new List<string?>();
        var counts = new List<int>();
        foreach (var answer in parsed)
        {
            var at = order.IndexOf(answer);
            if (at < 0)
            {
                order.Add(answer);
                counts.Add(1);
            }
            else
            {
                counts[at]++;
            }
        }
        var common = order[counts.IndexOf(counts.Max())];
        return scores[parsed.ToList().IndexOf(common)] != 1.0;
    }

    /// <summary>The cache stem: the last path component of each model name joined by '_', then `_{s}`, cut to 50 characters.</summary>
    public static string Stem(IEnumerable<string> models, int samples)
    {
        var stem = string.Join("_", models.Select(m => m.Split('/')[^1])) + $"_{samples}";
        return stem.Length > 50 ? stem[..50] : stem;
    }
}
