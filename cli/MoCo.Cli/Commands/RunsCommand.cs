using System.CommandLine;
using Google.Protobuf;
using MoCo.Hosting;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Runs;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>`moco runs list|show|cancel|resume|export` (config-and-cli.md §4.1) over the local run store (`--store`,
/// MOCO_RUN_STORE). resume is `moco run --resume`; export replays a run from the store (every call is stored, so
/// nothing is generated again) and rewrites its logs under `-l`.</summary>
public static class RunsCommand
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var store = new Option<string?>("--store") { Description = "Run store (default MOCO_RUN_STORE, else $MOCO_HOME/runs.db)." };
        var json = new Option<bool>("--json") { Description = "JSON output." };
        var command = new Command("runs", "Runs in the run store: list, show, cancel, resume, export.");

        var count = new Option<int>("-n") { Description = "Most runs listed.", DefaultValueFactory = _ => 20 };
        var method = new Option<string?>("--method") { Description = "Only this method." };
        var task = new Option<string?>("--task") { Description = "Only this task." };
        var list = new Command("list", "Runs, newest first: id, status, method, task, models, test score, start, duration, mode.") { store, json, count, method, task };
        list.SetAction(async (parse, cancel) =>
        {
            await using var runs = await Open(parse.GetValue(store), parse.InvocationConfiguration.Error, cancel).ConfigureAwait(false);
            if (runs is null)
            {
                return ExitCodes.Environment;
            }
            var found = await runs.ListRunsAsync(new RunQuery(null, parse.GetValue(method), parse.GetValue(task), parse.GetValue(count)), cancel).ConfigureAwait(false);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine("[" + string.Join(",", found.Select(r => Formatter.Format(RunRecords.Summary(r)))) + "]");
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.None).AddColumns("id", "status", "method", "task", "models", "test", "started", "wall", "mode");
            foreach (var r in found)
            {
                var s = RunRecords.Summary(r);
                table.AddRow(s.Id, r.StatusAt(DateTimeOffset.UtcNow).Name(), s.Method, Markup.Escape(s.Task), $"{s.ModelNames.Count}",
                    r.TestScore is { } score ? $"{score:0.000}" : "—", r.Run.CreatedAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                    $"{s.Wall.ToTimeSpan():h\\:mm\\:ss}", s.Mode);
            }
            var console = Terminal.For(output);
            if (!console.Profile.Capabilities.Interactive)
            {
                // Redirected output has no width; each run stays on one line.
                console.Profile.Width = 200;
            }
            console.Write(table);
            return ExitCodes.Success;
        });
        command.Subcommands.Add(list);

        var runArgument = new Argument<string>("run") { Description = "Run: id, unique prefix, 4-character suffix, or `last`." };
        var items = new Option<bool>("--items") { Description = "Include the items (items.jsonl lines)." };
        var show = new Command("show", "One run's record: status, config, phases, scores, baselines, error.") { runArgument, store, json, items };
        show.SetAction(async (parse, cancel) =>
        {
            await using var runs = await Open(parse.GetValue(store), parse.InvocationConfiguration.Error, cancel).ConfigureAwait(false);
            if (runs is null)
            {
                return ExitCodes.Environment;
            }
            if (await Resolve(runs, parse.GetValue(runArgument)!, parse.InvocationConfiguration.Error, cancel).ConfigureAwait(false) is not { } id)
            {
                return ExitCodes.Usage;
            }
            var record = await RunRecords.ToProtoAsync(runs, id, parse.GetValue(items), cancel).ConfigureAwait(false);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(Formatter.Format(record));
                return ExitCodes.Success;
            }
            output.WriteLine($"{record.Id}  {record.Status.ToString().ToLowerInvariant()}  {record.Method} · {record.Task} ({record.TaskType})  seed {record.Seed}  {record.Mode}");
            output.WriteLine($"models: {string.Join(", ", record.ModelNames)}");
            foreach (var phase in record.Phases)
            {
                output.WriteLine($"  {phase.Name,-24} {phase.Status.ToString().ToLowerInvariant(),-10} {phase.Done}/{phase.Total}  {phase.CompletionTokens} completion tokens");
            }
            output.WriteLine(record.Scores.Test is { } test ? $"test {test:0.000} (n={record.Scores.NTest})" : "test —");
            foreach (var baseline in record.Scores.Baselines)
            {
                output.WriteLine($"  baseline {baseline.Model}: {baseline.Test:0.000}");
            }
            if (record.Error is { } error)
            {
                output.WriteLine($"error [{error.Code}]: {error.Message}");
            }
            foreach (var item in record.Items)
            {
                output.WriteLine(Formatter.Format(item));
            }
            return ExitCodes.Success;
        });
        command.Subcommands.Add(show);

        var cancelCommand = new Command("cancel", "Set the run's cancel flag: its owner stops at its next heartbeat (≤ 5 s) and marks it cancelled.") { runArgument, store };
        cancelCommand.SetAction(async (parse, cancel) =>
        {
            await using var runs = await Open(parse.GetValue(store), parse.InvocationConfiguration.Error, cancel).ConfigureAwait(false);
            if (runs is null)
            {
                return ExitCodes.Environment;
            }
            if (await Resolve(runs, parse.GetValue(runArgument)!, parse.InvocationConfiguration.Error, cancel).ConfigureAwait(false) is not { } id)
            {
                return ExitCodes.Usage;
            }
            await runs.RequestCancelAsync(id, cancel).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine($"cancel requested for {id}");
            return ExitCodes.Success;
        });
        command.Subcommands.Add(cancelCommand);

        var logDir = new Option<string?>("--log-dir", "-l") { Description = "Log folder (default MOCO_LOG_DIR, else ./logs)." };
        foreach (var (name, description) in new[]
        {
            ("resume", "Resume a run (= moco run --resume RUN)."),
            ("export", "Rewrite a run's logs under -l from the store (a replay: stored calls are not generated again)."),
        })
        {
            var sub = new Command(name, description) { runArgument, store, logDir };
            sub.SetAction((parse, cancel) => RunCommand.RunAsync(null, parse.GetValue(logDir),
                new RunSettings { Resume = parse.GetValue(runArgument), Store = parse.GetValue(store) },
                parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel));
            command.Subcommands.Add(sub);
        }
        return command;
    }

    /// <summary>The store, or null after telling why it cannot be opened (exit 4).</summary>
    private static async Task<IRunStore?> Open(string? store, TextWriter error, CancellationToken cancel)
    {
        try
        {
            return await RunStores.OpenAsync(store ?? new MocoEnvironment().RunStore, cancel).ConfigureAwait(false);
        }
        catch (RunStoreUnavailableException e)
        {
            RunCommand.StoreUnavailable(error, e);
            return null;
        }
    }

    private static async Task<string?> Resolve(IRunStore store, string reference, TextWriter error, CancellationToken cancel)
    {
        try
        {
            if (await store.ResolveAsync(reference, cancel).ConfigureAwait(false) is { } id)
            {
                return id;
            }
            error.WriteLine($"error: no run \"{reference}\" in the run store\n  fix: moco runs list");
        }
        catch (AmbiguousRunException e)
        {
            error.WriteLine($"error: {e.Message}\n  fix: give more of the id");
        }
        return null;
    }
}
