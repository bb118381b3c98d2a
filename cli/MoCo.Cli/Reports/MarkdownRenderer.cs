using System.Text;

namespace MoCo.Cli.Reports;

/// <summary>The report as GitHub-flavoured Markdown: pipe tables (cells with pipes and newlines escaped), fenced code,
/// and histograms as text bars, for pasting into an issue or a lab notebook.</summary>
internal static class MarkdownRenderer
{
    private const int BarWidth = 40;

    public static string Render(ReportDocument document)
    {
        var md = new StringBuilder();
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case ReportDocument.HeadingBlock h:
                    md.Append('#', h.Level).Append(' ').Append(h.Text).Append("\n\n");
                    break;
                case ReportDocument.ParagraphBlock p:
                    md.Append(p.Text).Append("\n\n");
                    break;
                case ReportDocument.CodeBlock c:
                    // A fence longer than any backtick run inside, so a config or output cannot close it early.
                    var fence = new string('`', Math.Max(3, LongestRun(c.Text, '`') + 1));
                    md.Append(fence).Append('\n').Append(c.Text.TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
                    break;
                case ReportDocument.TableBlock t:
                    md.Append("| ").Append(string.Join(" | ", t.Headers.Select(Cell))).Append(" |\n");
                    md.Append('|').Append(string.Concat(t.Headers.Select(_ => " --- |"))).Append('\n');
                    foreach (var row in t.Rows)
                    {
                        md.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
                    }
                    md.Append('\n');
                    break;
                case ReportDocument.BarsBlock b:
                    var max = Math.Max(1, b.Bars.Max(x => x.Count));
                    var width = b.Bars.Max(x => x.Label.Length);
                    md.Append("```\n");
                    foreach (var (label, count) in b.Bars)
                    {
                        md.Append(label.PadRight(width)).Append(' ').Append(count.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(5)).Append(' ')
                            .Append('█', (int)Math.Round((double)BarWidth * count / max)).Append('\n');
                    }
                    md.Append("```\n\n");
                    break;
            }
        }
        return md.ToString();
    }

    private static string Cell(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)
        .Replace("\r", "", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);

    private static int LongestRun(string text, char c)
    {
        var (longest, run) = (0, 0);
        foreach (var ch in text)
        {
            run = ch == c ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }
}
