using System.CommandLine;
using MoCo.Cli.Reports;
using MoCo.Contracts.V1;
using MoCo.Hosting;

namespace MoCo.Cli.Commands;

/// <summary>`moco report &lt;run&gt;… [--html|--md] [-o FILE]` (config-and-cli.md §4.1): one self-contained file per call —
/// the config, results beside each model alone, per-phase time and throughput, score distributions, per-model items and calls,
/// the searchable items; several runs add a comparison. Runs come from the local store or a server (`--server`), as for
/// `moco runs show`. Default file: `&lt;log dir&gt;/moco/&lt;run&gt;/report.html`, or `compare-….html` beside the run folders.</summary>
public static class ReportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var runs = new Argument<string[]>("run") { Description = "Runs: id, unique prefix, 4-character suffix, or `last`; several give a comparison.", Arity = ArgumentArity.OneOrMore };
        var html = new Option<bool>("--html") { Description = "HTML (the default): one file, no external resources, an item filter." };
        var markdown = new Option<bool>("--md") { Description = "Markdown instead of HTML." };
        var file = new Option<string?>("--output", "-o") { Description = "Write here (`-` = stdout) instead of the default path under the log folder." };
        var logDir = new Option<string?>("--log-dir", "-l") { Description = "Log folder of the default path (default MOCO_LOG_DIR, else ./logs)." };
        var store = new Option<string?>("--store") { Description = "Run store (default MOCO_RUN_STORE, else $MOCO_HOME/runs.db)." };
        var server = new Option<string?>("--server", "--gateway") { Description = "A MoCo.NET server (gateway URL; default MOCO_SERVER) instead of the local store." };
        var command = new Command("report", "Write one self-contained report of one or more runs: config, results vs each model alone, phases with " +
            "time and throughput, score distributions, per-model items and calls, searchable items; several runs are compared. Exit 2 for an unknown run.")
        {
            runs, html, markdown, file, logDir, store, server,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(html) && r.GetValue(markdown))
            {
                r.AddError("--html and --md exclude each other: pick one");
            }
        });
        command.SetAction((parse, cancel) => RunsCommand.WithSource(parse, store, server, async source =>
        {
            var records = new List<RunRecord>();
            foreach (var reference in parse.GetValue(runs)!)
            {
                records.Add(await source.ShowAsync(reference, items: true, cancel).ConfigureAwait(false));
            }
            var path = Write(records, parse.GetValue(markdown), parse.GetValue(file), parse.GetValue(logDir), parse.InvocationConfiguration.Output);
            if (path is not null)
            {
                parse.InvocationConfiguration.Output.WriteLine($"report: {path}");
            }
            return ExitCodes.Success;
        }, cancel));
        return command;
    }

    /// <summary>Renders <paramref name="records"/> and writes the file (temp + rename); returns its path, or null when
    /// written to <paramref name="stdout"/> (`-o -`).</summary>
    internal static string? Write(IReadOnlyList<RunRecord> records, bool markdown, string? file, string? logDir, TextWriter stdout)
    {
        var document = ReportComposer.Compose([.. records.Select(RunReport.From)]);
        var text = markdown ? MarkdownRenderer.Render(document) : HtmlRenderer.Render(document);
        if (file == "-")
        {
            stdout.Write(text);
            return null;
        }
        var extension = markdown ? "md" : "html";
        var runsFolder = Path.Combine(logDir is not null ? Path.GetFullPath(logDir) : new MocoEnvironment().LogDirectory, "moco");
        var path = Path.GetFullPath(file ?? (records.Count == 1
            ? Path.Combine(runsFolder, records[0].Id, "report." + extension)
            : Path.Combine(runsFolder, $"compare-{string.Join("_", records.Select(r => r.Id))}.{extension}")));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }
}
