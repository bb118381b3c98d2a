using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>SLM-MUX's per-item rules (methods-text.md §10 steps 4–5): a model's confidence is the agreement of its k
/// parsed answers, the most confident model wins, ties go to dev accuracy, model order or a seeded draw.</summary>
public static class SlmMux
{
    /// <summary>Models within this distance of the top confidence are tied.</summary>
    public const double TieTolerance = 1e-9;

    /// <summary>One model's view of one item: its selected answer ("" when no answer is valid), confidence, vote counts
    /// in first-appearance order, and the first sample that gave the selected answer (0 when none).</summary>
    public sealed record Consistency(string Selected, double Confidence, IReadOnlyList<KeyValuePair<string, int>> Counts, int Sample);

    /// <summary>The consistency of <paramref name="answers"/> (one parsed answer per sample, null when unparsed): valid
    /// answers are non-null and not whitespace-only, compared by exact string; the top count c wins (a tie among answers
    /// is drawn from <paramref name="rng"/>, candidates in first-appearance order). Confidence is c / k, or c / (valid
    /// answers) with <paramref name="perValidAnswer"/> (the reference's divisor).</summary>
    public static Consistency Of(IReadOnlyList<string?> answers, bool perValidAnswer, SeededRng rng)
    {
        var counts = new List<KeyValuePair<string, int>>();
        foreach (var answer in answers)
        {
            if (answer is null || answer.Trim().Length == 0)
            {
                continue;
            }
            var at = counts.FindIndex(p => p.Key == answer);
            if (at < 0)
            {
                counts.Add(KeyValuePair.Create(answer, 1));
            }
            else
            {
                counts[at] = KeyValuePair.Create(answer, counts[at].Value + 1);
            }
        }
        if (counts.Count == 0)
        {
            return new Consistency("", 0.0, counts, 0);
        }
        var top = counts.Max(p => p.Value);
        var leaders = counts.Where(p => p.Value == top).Select(p => p.Key).ToList();
        var selected = leaders.Count == 1 ? leaders[0] : leaders[rng.Next(leaders.Count)];
        var divisor = perValidAnswer ? counts.Sum(p => p.Value) : answers.Count;
        var sample = answers.ToList().IndexOf(selected);
        return new Consistency(selected, (double)top / divisor, counts, Math.Max(0, sample));
    }

    /// <summary>The winning model and whether several shared the top confidence. <paramref name="tie"/>: `model-order`
    /// → lowest index; `random` → a draw from <paramref name="rng"/>; `dev-based` → highest
    /// <paramref name="devAccuracy"/>, then lowest index.</summary>
    public static (int Winner, bool Tied) Winner(IReadOnlyList<double> confidences, string tie, IReadOnlyList<double> devAccuracy, SeededRng rng)
    {
        var best = confidences.Max();
        var tied = Enumerable.Range(0, confidences.Count).Where(i => Math.Abs(confidences[i] - best) < TieTolerance).ToList();
        if (tied.Count == 1)
        {
            return (tied[0], false);
        }
        var winner = tie switch
        {
            "model-order" => tied[0],
            "random" => tied[rng.Next(tied.Count)],
            // The first index with the highest accuracy (Aggregate keeps the earlier on equality).
            _ => tied.Aggregate((a, b) => devAccuracy[b] > devAccuracy[a] ? b : a),
        };
        return (winner, true);
    }
}
