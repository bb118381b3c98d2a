using System.Net;
using System.Text;

namespace MoCo.Cli.Reports;

/// <summary>One self-contained HTML file: inline style, and a few lines of script that filter a searchable table's rows
/// as the reader types; nothing is fetched, so the file opens offline and can be mailed or archived as is.</summary>
internal static class HtmlRenderer
{
    private const string Style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1d1d1f}
        table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
        th{background:#f4f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}pre{background:#f6f8fa;padding:1em;overflow:auto}
        .bar{display:inline-block;height:.9em;background:#4a7dd8;vertical-align:middle}.bars td{border:none;padding:.05em .7em}
        input.filter{padding:.3em .5em;width:24em;margin:.3em 0}td.cell{max-width:36em;white-space:pre-wrap;word-break:break-word}
        """;

    private const string Script = """
        document.querySelectorAll('input.filter').forEach(function(box){
          box.addEventListener('input',function(){
            var q=box.value.toLowerCase();
            document.getElementById(box.dataset.table).querySelectorAll('tbody tr').forEach(function(row){
              row.style.display=row.textContent.toLowerCase().indexOf(q)>=0?'':'none';
            });
          });
        });
        """;

    public static string Render(ReportDocument document)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(document.Title))
            .Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        var tables = 0;
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case ReportDocument.HeadingBlock h:
                    html.Append($"<h{h.Level}").Append(h.Anchor is { } id ? $" id=\"{E(id)}\"" : "").Append('>').Append(E(h.Text)).Append($"</h{h.Level}>\n");
                    break;
                case ReportDocument.ParagraphBlock p:
                    html.Append("<p>").Append(E(p.Text)).Append("</p>\n");
                    break;
                case ReportDocument.CodeBlock c:
                    html.Append("<pre>").Append(E(c.Text)).Append("</pre>\n");
                    break;
                case ReportDocument.TableBlock t:
                    var tableId = $"t{++tables}";
                    if (t.Searchable)
                    {
                        html.Append($"<input class=\"filter\" type=\"search\" placeholder=\"filter {t.Rows.Count} rows\" data-table=\"{tableId}\">\n");
                    }
                    html.Append($"<table id=\"{tableId}\"><thead><tr>");
                    foreach (var header in t.Headers)
                    {
                        html.Append("<th>").Append(E(header)).Append("</th>");
                    }
                    html.Append("</tr></thead><tbody>\n");
                    foreach (var row in t.Rows)
                    {
                        html.Append("<tr>");
                        foreach (var cell in row)
                        {
                            html.Append(Numeric(cell) ? "<td class=\"num\">" : "<td class=\"cell\">").Append(E(cell)).Append("</td>");
                        }
                        html.Append("</tr>\n");
                    }
                    html.Append("</tbody></table>\n");
                    break;
                case ReportDocument.BarsBlock b:
                    var max = Math.Max(1, b.Bars.Max(x => x.Count));
                    html.Append("<table class=\"bars\">");
                    foreach (var (label, count) in b.Bars)
                    {
                        html.Append("<tr><td>").Append(E(label)).Append("</td><td class=\"num\">").Append(count)
                            .Append($"</td><td><span class=\"bar\" style=\"width:{300.0 * count / max:0}px\"></span></td></tr>");
                    }
                    html.Append("</table>\n");
                    break;
            }
        }
        html.Append("<script>").Append(Script).Append("</script>\n</body></html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static bool Numeric(string cell) => cell.Length is > 0 and < 24 && (char.IsDigit(cell[0]) || cell[0] is '+' or '−' or '-') &&
        cell.All(c => char.IsDigit(c) || c is '.' or ',' or '+' or '−' or '-' or ' ' or '/' or 's' or '%');
}
