using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using MoCo.Cli.Commands.Runs;
using MoCo.Hosting;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Runs;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>`moco runs list|show|cancel|resume|export|watch` (config-and-cli.md §4.1) over the local run store (`--store`,
/// MOCO_RUN_STORE) or, for list, show, cancel and watch, a server (`--server`, MOCO_SERVER). resume is `moco run
/// --resume`; export replays a run from the store (every call is stored, so nothing is generated again) and rewrites
/// its logs under `-l`; watch re-attaches to a server's run (one started with `moco run --detach`).</summary>
public static class RunsCommand
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var store = new Option<string?>("--store") { Description = "Run store (default MOCO_RUN_STORE, else $MOCO_HOME/runs.db)." };
        var json = new Option<bool>("--json") { Description = "JSON output." };
        var server = new Option<string?>("--server", "--gateway") { Description = "A MoCo.NET server (gateway URL; default MOCO_SERVER) instead of the local store." };
        var command = new Command("runs", "Runs in the run store: list, show, cancel, resume, export.");

        var count = new Option<int>("-n") { Description = "Most runs listed.", DefaultValueFactory = _ => 20 };
        var method = new Option<string?>("--method") { Description = "Only this method." };
        var task = new Option<string?>("--task") { Description = "Only this task." };
        var list = new Command("list", "Runs, newest first: id, status, method, task, models, test score, start, duration, mode.") { store, server, json, count, method, task };
        list.SetAction((parse, cancel) => WithSource(parse, store, server, async runs =>
        {
            var found = await runs.ListAsync(new RunQuery(null, parse.GetValue(method), parse.GetValue(task), parse.GetValue(count)), cancel).ConfigureAwait(false);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine("[" + string.Join(",", found.Select(r => Formatter.Format(r))) + "]");
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.None).AddColumns("id", "status", "method", "task", "models", "test", "started", "wall", "mode");
            foreach (var s in found)
            {
                table.AddRow(s.Id, RunRecords.State(s.Status).Name(), s.Method, Markup.Escape(s.Task), $"{s.ModelNames.Count}",
                    s.TestScore is { } score ? $"{score:0.000}" : "—",
                    s.CreatedAt.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
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
        }, cancel));
        command.Subcommands.Add(list);

        var runArgument = new Argument<string>("run") { Description = "Run: id, unique prefix, 4-character suffix, or `last`." };
        var items = new Option<bool>("--items") { Description = "Include the items (items.jsonl lines)." };
        var show = new Command("show", "One run's record: status, config, phases, scores, baselines, error.") { runArgument, store, server, json, items };
        show.SetAction((parse, cancel) => WithSource(parse, store, server, async runs =>
        {
            var record = await runs.ShowAsync(parse.GetValue(runArgument)!, parse.GetValue(items), cancel).ConfigureAwait(false);
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
        }, cancel));
        command.Subcommands.Add(show);

        var cancelCommand = new Command("cancel", "Stop a run: sets the store's cancel flag (its owner stops at its next heartbeat, ≤ 5 s) or calls the " +
            "server's CancelRun; the run is marked cancelled and stays resumable.") { runArgument, store, server };
        cancelCommand.SetAction((parse, cancel) => WithSource(parse, store, server, async runs =>
        {
            var id = await runs.CancelAsync(parse.GetValue(runArgument)!, cancel).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine($"cancel requested for {id}");
            return ExitCodes.Success;
        }, cancel));
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

        var watch = new Command("watch", "Re-attach to a server's run (e.g. one started with `moco run --detach`): its progress so far, then live " +
            "events; the logs are written under -l and the results table printed when it ends. Ctrl-C cancels the run.") { runArgument, server, logDir, json };
        watch.SetAction((parse, cancel) => RunCommand.RunAsync(null, parse.GetValue(logDir),
            new RunSettings { Watch = parse.GetValue(runArgument), Server = parse.GetValue(server), Json = parse.GetValue(json) },
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel));
        command.Subcommands.Add(watch);
        return command;
    }

    // The server when one is named (flag, then MOCO_SERVER), else the local store; a run that is not there is a usage
    // error (exit 2), an unreachable server or a store that cannot be opened an environment one (exit 4).
    internal static async Task<int> WithSource(ParseResult parse, Option<string?> store, Option<string?> server, Func<IRunsSource, Task<int>> action,
        CancellationToken cancel)
    {
        var error = parse.InvocationConfiguration.Error;
        var environment = new MocoEnvironment();
        var address = parse.GetValue(server) ?? environment.Server;
        try
        {
            await using IRunsSource runs = address is not null
                ? new ServerRunsSource(address, environment.ServerChannels())
                : new StoreRunsSource(await RunStores.OpenAsync(parse.GetValue(store) ?? environment.RunStore, cancel).ConfigureAwait(false));
            return await action(runs).ConfigureAwait(false);
        }
        catch (RunRejectedException e)
        {
            error.WriteLine($"error: {e.Message}\n  fix: moco runs list" + (address is null ? "" : $" --server {address}"));
            return ExitCodes.Usage;
        }
        catch (RunStoreUnavailableException e)
        {
            RunCommand.StoreUnavailable(error, e);
            return ExitCodes.Environment;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            error.WriteLine($"error: server {address} unreachable: {e.Status.Detail}\n  fix: check the address, or drop --server for the local store");
            return ExitCodes.Environment;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            error.WriteLine($"error: server {address} refuses this client: {e.Status.Detail}");
            return ExitCodes.Environment;
        }
        catch (MocoConfigurationException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}
