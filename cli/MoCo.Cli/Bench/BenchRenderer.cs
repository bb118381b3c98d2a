using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MoCo.Cli.Bench;

/// <summary>A <see cref="BenchReport"/> as a markdown document (what a person pastes into an issue) or one JSON object.</summary>
public static class BenchRenderer
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // The report is read by people too: "+" and "'" stay themselves.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One JSON object: versions, machine, every suite's setup and rows with their ratios, the failures.</summary>
    public static string Json(BenchReport report) => JsonSerializer.Serialize(report, JsonOptions);

    /// <summary>A heading line, then per suite its setup and a table of workload, figure, baseline and ratio.</summary>
    public static string Markdown(BenchReport report)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# moco bench — MoCo.NET {report.MocoVersion}, {report.Native}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{report.Machine}; {report.At:yyyy-MM-dd HH:mm} UTC. Ratios divide by a baseline measured in the same run.\n");
        foreach (var suite in report.Suites)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {suite.Suite}\n\n{suite.Setup}.\n\n");
            text.Append("| workload | figure | baseline | ratio | note |\n|---|---:|---|---:|---|\n");
            foreach (var row in suite.Rows)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"| {row.Workload} | {Figure(row.Value)} {row.Unit} | {row.Baseline ?? "(baseline)"} | {(row.Ratio is { } ratio ? Figure(ratio) + "x" : "—")} | {row.Note} |\n");
            }
        }
        foreach (var (suite, why) in report.Failures)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {suite}\n\nfailed: {why}\n");
        }
        return text.ToString();
    }

    // Three significant digits at most, never scientific notation: 0.0123, 1.23, 456, 12,345.
    private static string Figure(double value) =>
        Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 0.1 ? value.ToString("0.00", CultureInfo.InvariantCulture)
        : value.ToString("0.0000", CultureInfo.InvariantCulture);
}
