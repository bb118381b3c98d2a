using System.Globalization;
using MoCo.Contracts.V1;

namespace MoCo.Cli.Reports;

/// <summary>Lays out `moco report` (config-and-cli.md §4.1): with several runs a comparison table first, then per run its
/// results beside each model alone, phases with time and throughput, score distributions, per-model items, the config,
/// and the searchable items.</summary>
internal static class ReportComposer
{
    private const int CellChars = 600;

    public static ReportDocument Compose(IReadOnlyList<RunReport> runs)
    {
        var document = new ReportDocument(runs.Count == 1 ? $"MoCo.NET run {runs[0].Run.Id}" : $"MoCo.NET: {runs.Count} runs compared");
        document.Heading(1, document.Title);
        if (runs.Count > 1)
        {
            document.Heading(2, "Comparison");
            document.Table(["run", "status", "method", "task", "models", "test", "n", "best alone", "Δ best", "wall", "completion tokens"],
                [.. runs.Select(r => (IReadOnlyList<string>)
                [
                    r.Run.Id, Status(r.Run), r.Run.Method, r.Run.Task, string.Join(", ", r.Run.ModelNames), RunReport.F3(r.Run.Scores.Test),
                    N(r.Run.Scores.NTest), RunReport.F3(r.BestBaseline), Delta(r.Run.Scores.Test, r.BestBaseline), Wall(r.Run), N(r.Run.Phases.Sum(p => p.CompletionTokens)),
                ])]);
        }
        foreach (var report in runs)
        {
            Run(document, report, runs.Count > 1);
        }
        return document;
    }

    private static void Run(ReportDocument document, RunReport report, bool several)
    {
        var run = report.Run;
        var level = several ? 2 : 1;
        if (several)
        {
            document.Heading(2, $"Run {run.Id}", run.Id);
        }
        document.Paragraph($"{run.Method} · {run.Task} ({run.TaskType}) · {Status(run)} · compat {run.Compat.ToString().ToLowerInvariant()} · seed {run.Seed}" +
            $"{(run.Limit is { } limit ? $" · limit {limit}" : "")} · {run.Mode} · started {Time(run.Timings?.CreatedAt)} · wall {Wall(run)}");
        if (run.Error is { } error)
        {
            document.Paragraph($"error [{error.Code}]: {error.Message}");
        }

        document.Heading(level + 1, "Results");
        var best = report.BestBaseline;
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { $"{run.Method} ({run.ModelNames.Count} model{(run.ModelNames.Count == 1 ? "" : "s")})", RunReport.F3(run.Scores.Test), Delta(run.Scores.Test, best) },
        };
        rows.AddRange(run.Scores.Baselines.OrderByDescending(b => b.Test ?? double.MinValue)
            .Select(b => (IReadOnlyList<string>)[b.Model, RunReport.F3(b.Test), b.Test == best ? "best" : Delta(b.Test, best)]));
        document.Table(["system", $"test (n={run.Scores.NTest})", "Δ best"], rows);

        document.Heading(level + 1, "Phases");
        document.Table(["phase", "status", "done", "wall", "items/s", "prompt tokens", "completion tokens", "tokens/s"],
            [.. run.Phases.Select(p =>
            {
                var wall = RunReport.WallSeconds(p);
                return (IReadOnlyList<string>)
                [
                    p.Name, p.Status.ToString().ToLowerInvariant(), $"{p.Done}/{p.Total}", $"{wall:0.0} s", wall > 0 ? $"{p.Done / wall:0.00}" : "—",
                    N(p.PromptTokens), N(p.CompletionTokens), wall > 0 && p.CompletionTokens > 0 ? $"{p.CompletionTokens / wall:#,0}" : "—",
                ];
            })]);

        if (report.Distributions.Count > 0)
        {
            document.Heading(level + 1, "Score distributions");
            foreach (var d in report.Distributions)
            {
                document.Paragraph($"{d.Name}: n={d.Count}, mean {d.Mean:0.000}, min {d.Min:0.###}, max {d.Max:0.###}");
                document.Bars(d.Bars);
            }
        }

        if (report.Models.Count > 0)
        {
            document.Heading(level + 1, "Per model");
            document.Table(["model", "phase", "items", "mean score", "completion tokens", "mean latency"],
                [.. report.Models.Select(m => (IReadOnlyList<string>)
                    [m.Model, m.Phase, N(m.Items), $"{m.MeanScore:0.000}", N((long)m.CompletionTokens), $"{m.MeanLatencySeconds:0.00} s"])]);
        }

        if (run.ModelCalls.Count > 0)
        {
            document.Heading(level + 1, "Calls per model");
            document.Table(["model", "phase", "kind", "calls", "prompt tokens", "completion tokens", "mean latency", "replicas"],
                [.. run.ModelCalls.Select(c => (IReadOnlyList<string>)
                [
                    c.Model.Length > 0 ? c.Model : "(unnamed)", c.Phase, c.Kind, N(c.Calls), N(c.PromptTokens), N(c.CompletionTokens),
                    $"{(c.Latency?.ToTimeSpan().TotalSeconds ?? 0) / Math.Max(c.Calls, 1):0.000} s", c.Replicas.Count > 0 ? string.Join(", ", c.Replicas) : "—",
                ])]);
        }

        document.Heading(level + 1, "Config");
        document.Code(run.ConfigText);

        document.Heading(level + 1, $"Items ({report.Items.Count})");
        document.Table(["split", "phase", "#", "id", "model", "score", "parsed", "input", "output"],
            [.. report.Items.Select(i => (IReadOnlyList<string>)
            [
                RunReport.Text(i, "split"), RunReport.Text(i, "phase"), N((long)RunReport.Number(i, "index")), RunReport.Text(i, "id"), RunReport.Text(i, "model"),
                RunReport.F3(RunReport.Score(i)), RunReport.Text(i, "parsed"), Clip(RunReport.Text(i, "input")), Clip(RunReport.Text(i, "output")),
            ])], searchable: true);
    }

    private static string Status(RunRecord run) => run.Status.ToString().ToLowerInvariant();

    private static string Wall(RunRecord run) => run.Timings?.Wall?.ToTimeSpan() is not { } wall ? "—"
        : wall.TotalSeconds < 60 ? $"{wall.TotalSeconds:0.0} s" : $"{wall:h\\:mm\\:ss}";

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? t) =>
        t is null ? "—" : t.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Delta(double? score, double? best) => score is { } s && best is { } b
        ? (s - b >= 0 ? "+" : "−") + Math.Abs(s - b).ToString("0.000", CultureInfo.InvariantCulture) : "—";

    private static string N(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    // Long prompts stay readable: the cell keeps the head, and the filter still finds words in it.
    private static string Clip(string text) => text.Length <= CellChars ? text : text[..CellChars] + $"… ({text.Length:#,0} chars)";
}
