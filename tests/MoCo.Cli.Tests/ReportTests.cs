using Google.Protobuf.WellKnownTypes;
using MoCo.Cli.Commands;
using MoCo.Cli.Reports;
using MoCo.Contracts.V1;

namespace MoCo.Cli.Tests;

/// <summary>`moco report` (config-and-cli.md §4.1) over hand-built run records: results beside each model alone, phase
/// throughput, score histograms, per-model items and calls, items that cannot break out of their HTML or Markdown cells, a
/// comparison for several runs, and the default file path under the log folder.</summary>
public sealed class ReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Struct Item(string phase, int index, double score, string output, string? model = null)
    {
        var item = new Struct();
        item.Fields["phase"] = Value.ForString(phase);
        item.Fields["split"] = Value.ForString("test");
        item.Fields["index"] = Value.ForNumber(index);
        item.Fields["id"] = Value.ForString($"q{index}");
        item.Fields["input"] = Value.ForString("Which is it?");
        item.Fields["output"] = Value.ForString(output);
        item.Fields["score"] = Value.ForNumber(score);
        item.Fields["completion_tokens"] = Value.ForNumber(10);
        item.Fields["latency_ms"] = Value.ForNumber(500);
        if (model is not null)
        {
            item.Fields["model"] = Value.ForString(model);
        }
        return item;
    }

    private static RunRecord Run(string id, double test, params Struct[] items)
    {
        var run = new RunRecord
        {
            Id = id, Status = RunStatus.Succeeded, Method = "text_majority_vote", Task = "agieval_tiny", TaskType = "multiple_choice", Seed = 7,
            ConfigText = "{\"method\": \"text_majority_vote\", \"note\": \"a | pipe ``` fence\"}", Mode = "embedded",
            Scores = new RunScores { Test = test, NTest = 4 },
            Timings = new RunTimings { CreatedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 12, 7, 17, 0, 0, TimeSpan.Zero)), Wall = Duration.FromTimeSpan(TimeSpan.FromSeconds(12.5)) },
        };
        run.ModelNames.AddRange(["m-a", "m-b"]);
        run.Scores.Baselines.Add(new BaselineScore { Model = "m-a", Test = 0.5 });
        run.Scores.Baselines.Add(new BaselineScore { Model = "m-b", Test = 0.25 });
        run.Phases.Add(new PhaseRecord { Name = "test · generate", Status = PhaseStatus.Finished, Done = 8, Total = 8, Wall = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)), CompletionTokens = 400 });
        var calls = new ModelCallTotals
        {
            Phase = "test · generate", Model = "m-a", Kind = "generate", Calls = 4, PromptTokens = 120, CompletionTokens = 200,
            Latency = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
        };
        calls.Replicas.AddRange(["inference-0", "inference-1"]);
        run.ModelCalls.Add(calls);
        // As a producer that leaves the latency unset (and names no replica) sends it.
        run.ModelCalls.Add(new ModelCallTotals { Phase = "test · generate", Model = "m-b", Kind = "score", Calls = 2, PromptTokens = 10 });
        run.Items.AddRange(items);
        return run;
    }

    private static readonly Struct[] Items =
    [
        Item("test", 0, 1, "B"), Item("test", 1, 1, "<script>alert(1)</script>"), Item("test", 2, 0, "a | b\nnext line"), Item("test", 3, 1, "C"),
        Item("baseline", 0, 1, "B", "m-a"), Item("baseline", 1, 0, "D", "m-a"),
    ];

    [Fact]
    public void The_markdown_report_has_results_phases_histograms_models_and_escaped_items()
    {
        var md = MarkdownRenderer.Render(ReportComposer.Compose([RunReport.From(Run("20261207-170000-aaaa", 0.75, Items))]));

        Assert.Contains("| text_majority_vote (2 models) | 0.750 | +0.250 |", md);
        Assert.Contains("| m-a | 0.500 | best |", md);
        Assert.Contains("| m-b | 0.250 | −0.250 |", md);
        // 8 done in 2 s, 400 tokens: 4 items/s and 200 tokens/s.
        Assert.Contains("| test · generate | finished | 8/8 | 2.0 s | 4.00 | 0 | 400 | 200 |", md);
        Assert.Contains("test · test: n=4, mean 0.750, min 0, max 1", md);
        Assert.Matches(@"0 \(wrong\)\s+1 █+\n1 \(right\)\s+3 █+\n", md);
        Assert.Contains("| m-a | baseline | 2 | 0.500 | 20 | 0.50 s |", md);
        Assert.Contains("| m-a | test · generate | generate | 4 | 120 | 200 | 0.500 s | inference-0, inference-1 |", md);
        Assert.Contains("| m-b | test · generate | score | 2 | 10 | 0 | 0.000 s | — |", md);
        Assert.Contains("a \\| b<br>next line", md);
        // The config holds a ``` run: its fence is longer.
        Assert.Contains("````\n{\"method\"", md);
        Assert.Contains("wall 12.5 s", md);
    }

    [Fact]
    public void The_html_report_is_self_contained_and_escapes_every_text()
    {
        var html = HtmlRenderer.Render(ReportComposer.Compose([RunReport.From(Run("20261207-170000-aaaa", 0.75, Items))]));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("href=", html);
        Assert.Contains("placeholder=\"filter 6 rows\"", html);
        Assert.Equal(2, html.Split("<script>").Length);
    }

    [Fact]
    public void Several_runs_are_compared_first_then_shown_one_by_one()
    {
        var md = MarkdownRenderer.Render(ReportComposer.Compose(
            [RunReport.From(Run("20261207-170000-aaaa", 0.75, Items)), RunReport.From(Run("20261207-180000-bbbb", 0.25))]));

        Assert.StartsWith("# MoCo.NET: 2 runs compared", md);
        Assert.Contains("| 20261207-170000-aaaa | succeeded | text_majority_vote | agieval_tiny | m-a, m-b | 0.750 | 4 | 0.500 | +0.250 | 12.5 s | 400 |", md);
        Assert.Contains("| 20261207-180000-bbbb | succeeded | text_majority_vote | agieval_tiny | m-a, m-b | 0.250 | 4 | 0.500 | −0.250 | 12.5 s | 400 |", md);
        Assert.True(md.IndexOf("## Run 20261207-170000-aaaa", StringComparison.Ordinal) < md.IndexOf("## Run 20261207-180000-bbbb", StringComparison.Ordinal));
    }

    [Fact]
    public void Scores_off_zero_and_one_fall_in_ten_bins_over_their_range()
    {
        var d = RunReport.Distribution.Of("reward", [-1, 0, 0.5, 3]);
        Assert.Equal(10, d.Bars.Count);
        Assert.Equal(("[-1.00, -0.60)", 1), d.Bars[0]);
        Assert.Equal(1, d.Bars[2].Count);
        Assert.Equal(("[2.60, 3.00]", 1), d.Bars[^1]);
        Assert.Equal(4, d.Bars.Sum(b => b.Count));
    }

    [Fact]
    public void The_default_file_is_the_runs_folder_or_a_comparison_beside_them()
    {
        var logs = Path.Combine(_dir, "logs");
        var one = ReportCommand.Write([Run("20261207-170000-aaaa", 0.75, Items)], markdown: false, file: null, logs, TextWriter.Null);
        Assert.Equal(Path.Combine(logs, "moco", "20261207-170000-aaaa", "report.html"), one);
        var two = ReportCommand.Write([Run("20261207-170000-aaaa", 0.75), Run("20261207-180000-bbbb", 0.25)], markdown: true, file: null, logs, TextWriter.Null);
        Assert.Equal(Path.Combine(logs, "moco", "compare-20261207-170000-aaaa_20261207-180000-bbbb.md"), two);
        Assert.StartsWith("# MoCo.NET: 2 runs compared", File.ReadAllText(two!));
        Assert.Empty(Directory.GetFiles(Path.Combine(logs, "moco"), "*.tmp", SearchOption.AllDirectories));
    }
}
