using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using MoCo.Contracts.V1;

namespace MoCo.Cli.Reports;

/// <summary>What `moco report` shows of one run (config-and-cli.md §4.1), computed from its record as GetRun returns it
/// (so a report reads the local store and a server alike): results beside each model alone, per-phase time and
/// throughput, score distributions per phase and split, per-model items and calls, and the items themselves.</summary>
internal sealed class RunReport
{
    private const int Bins = 10;
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    private RunReport(RunRecord run, IReadOnlyList<JsonObject> items)
    {
        Run = run;
        Items = items;
        Distributions = [.. items.Where(i => Score(i) is not null)
            .GroupBy(i => (Phase: Text(i, "phase"), Split: Text(i, "split")))
            .OrderBy(g => g.Key.Split, StringComparer.Ordinal).ThenBy(g => g.Key.Phase, StringComparer.Ordinal)
            .Select(g => Distribution.Of($"{g.Key.Phase} · {g.Key.Split}", [.. g.Select(i => Score(i)!.Value)]))];
        Models = [.. items.Where(i => Text(i, "model").Length > 0)
            .GroupBy(i => (Model: Text(i, "model"), Phase: Text(i, "phase")))
            .OrderBy(g => g.Key.Phase, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
            .Select(g => new ModelRow(g.Key.Model, g.Key.Phase, g.Count(), g.Average(i => Score(i) ?? 0),
                g.Sum(i => Number(i, "completion_tokens")), g.Average(i => Number(i, "latency_ms")) / 1000))];
    }

    /// <summary>The run's record.</summary>
    public RunRecord Run { get; }

    /// <summary>Its items as items.jsonl has them.</summary>
    public IReadOnlyList<JsonObject> Items { get; }

    /// <summary>Score distribution per phase and split.</summary>
    public IReadOnlyList<Distribution> Distributions { get; }

    /// <summary>Items answered by one model (baselines, per-model candidates).</summary>
    public IReadOnlyList<ModelRow> Models { get; }

    /// <summary>The best baseline's test score, if any.</summary>
    public double? BestBaseline => Run.Scores.Baselines.Where(b => b.Test is not null).Select(b => (double?)b.Test!.Value).Max();

    /// <summary>The report of <paramref name="run"/> (fetched with its items).</summary>
    public static RunReport From(RunRecord run) =>
        new(run, [.. run.Items.Select(s => JsonNode.Parse(Formatter.Format(s))!.AsObject())
            .OrderBy(i => Text(i, "split"), StringComparer.Ordinal).ThenBy(i => Text(i, "phase"), StringComparer.Ordinal).ThenBy(i => Number(i, "index"))]);

    /// <summary>A phase's wall time in seconds (finished phases; a running one up to now is not known here: 0).</summary>
    public static double WallSeconds(PhaseRecord phase) => phase.Wall?.ToTimeSpan().TotalSeconds ?? 0;

    /// <summary>A string field of an item, or "".</summary>
    public static string Text(JsonObject item, string field) => item[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : item[field]?.ToJsonString() ?? "";

    /// <summary>A numeric field of an item, or 0.</summary>
    public static double Number(JsonObject item, string field) => item[field] is JsonValue v
        ? v.TryGetValue<double>(out var d) ? d : v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p : 0
        : 0;

    /// <summary>An item's score, or null when it has none.</summary>
    public static double? Score(JsonObject item) => item["score"] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    /// <summary>Formats a score the way the results table does.</summary>
    public static string F3(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "—";

    /// <summary>Items answered by one model in one phase.</summary>
    public sealed record ModelRow(string Model, string Phase, int Items, double MeanScore, double CompletionTokens, double MeanLatencySeconds);

    /// <summary>Scores of one phase and split: count, mean, range, and a histogram — right/wrong when every score is 0 or
    /// 1 (exact-match tasks), else <see cref="Bins"/> equal bins over [0, 1] (or the observed range, e.g. a reward).</summary>
    public sealed record Distribution(string Name, int Count, double Mean, double Min, double Max, IReadOnlyList<(string Label, int Count)> Bars)
    {
        public static Distribution Of(string name, IReadOnlyList<double> scores)
        {
            var (min, max) = (scores.Min(), scores.Max());
            if (scores.All(s => s is 0 or 1))
            {
                return new Distribution(name, scores.Count, scores.Average(), min, max,
                    [("0 (wrong)", scores.Count(s => s == 0)), ("1 (right)", scores.Count(s => s == 1))]);
            }
            var (low, high) = min >= 0 && max <= 1 ? (0.0, 1.0) : (min, max > min ? max : min + 1);
            var counts = new int[Bins];
            foreach (var s in scores)
            {
                counts[Math.Clamp((int)((s - low) / (high - low) * Bins), 0, Bins - 1)]++;
            }
            string Edge(int k) => (low + (high - low) * k / Bins).ToString("0.00", CultureInfo.InvariantCulture);
            return new Distribution(name, scores.Count, scores.Average(), min, max,
                [.. counts.Select((c, k) => ($"[{Edge(k)}, {Edge(k + 1)}{(k == Bins - 1 ? "]" : ")")}", c))]);
        }
    }
}
