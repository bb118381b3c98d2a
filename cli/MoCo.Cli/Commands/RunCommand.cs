using System.CommandLine;
using Grpc.Core;
using MoCo.Cli.Embedded;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Cli.Commands;

/// <summary>`moco run &lt;config&gt;` (config-and-cli.md §4.1): validates, hosts inference and evaluator in-process on
/// loopback (embedded) or calls a server's StartRun (`--server`, MOCO_SERVER), shows progress, writes the logs under
/// `-l` and prints the results table. Ctrl-C cancels cleanly (exit 130) and `--resume` continues the run.</summary>
public static class RunCommand
{
    // One instance per command: an option belongs to the command it is added to.
    private static Option<string?> LogDirOption() => new("--log-dir", "-l", "--log_dir") { Description = "Log folder (default MOCO_LOG_DIR, else ./logs; created)." };

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var config = new Argument<string?>("config") { Description = "The MoCo config (JSON; comments and trailing commas allowed).", Arity = ArgumentArity.ZeroOrOne };
        var options = new RunOptions();
        var logDir = LogDirOption();
        var command = new Command("run", "Run a collaboration config: validate, host the services in-process (or use --server), run, write the logs, " +
            "print method vs each model alone. Exit 0 success, 1 failed after start (resumable), 2 invalid config or usage, 3 resume refused " +
            "(config changed), 4 environment (server, store, method not built), 130 cancelled (resumable).") { config, logDir };
        options.AddTo(command);
        command.SetAction((parse, cancel) => RunAsync(parse.GetValue(config), parse.GetValue(logDir), options.Read(parse), parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error, cancel));
        return command;
    }

    /// <summary>The reference's form `moco -c config.json [-l DIR]` (also --config_file, --log_dir) on the root command.</summary>
    public static void AttachReferenceForm(RootCommand root)
    {
        var config = new Option<string?>("-c", "--config_file", "--config") { Description = "Run this config (the reference's form of `moco run`)." };
        var logDir = LogDirOption();
        root.Options.Add(config);
        root.Options.Add(logDir);
        root.SetAction((parse, cancel) => parse.GetValue(config) is { } file
            ? RunAsync(file, parse.GetValue(logDir), new RunSettings(), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel)
            : Task.FromResult(Usage(parse.InvocationConfiguration.Error, "name a command or a config: moco run config.json (or moco -c config.json)")));
    }

    internal static async Task<int> RunAsync(string? file, string? logDir, RunSettings settings, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        if (file is null && settings.Resume is null && settings.Watch is null)
        {
            return Usage(error, "name a config file, or --resume RUN");
        }
        string? text = null;
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                return Usage(error, $"no config file \"{file}\"");
            }
            text = await File.ReadAllTextAsync(file, cancel).ConfigureAwait(false);
        }
        var (progress, progressProblem) = RunProgress.Resolve(settings, Environment.GetEnvironmentVariable);
        if (progressProblem is not null)
        {
            return Usage(error, progressProblem);
        }
        settings = settings with { Progress = progress, Json = progress == "json" };
        var environment = new MocoEnvironment();
        if (settings.DryRun)
        {
            return RunDryRun.Print(file!, text!, settings, environment, settings.Embedded ? null : settings.Server ?? environment.Server, output, error);
        }
        var logDirectory = logDir is not null ? Path.GetFullPath(logDir) : environment.LogDirectory;
        Directory.CreateDirectory(logDirectory);
        var console = new RunConsole(output, error, settings.Json, progress: progress != "none", warnings: !settings.Quiet);
        // Ctrl-C: cancel the run (committed calls are kept), then exit 130; the run stays resumable.
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var server = settings.Embedded ? null : settings.Server ?? environment.Server;
            if (server is null && (settings.Detach || settings.Watch is not null))
            {
                return Usage(error, (settings.Detach ? "--detach" : "runs watch") + " needs a server (--server URL or MOCO_SERVER): an embedded run lives and " +
                    "ends with its own command (see it with `moco runs show`)");
            }
            if (server is not null)
            {
                try
                {
                    return await RunRemote.RunAsync(server, environment.ServerChannels(), file, text, settings, logDirectory, console, output, error, interrupt.Token).ConfigureAwait(false);
                }
                catch (MocoConfigurationException e)
                {
                    error.WriteLine($"error: {e.Message}");
                    return ExitCodes.Usage;
                }
            }
            return await RunEmbeddedAsync(file, text, settings, environment, logDirectory, console, output, error, interrupt.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static async Task<int> RunEmbeddedAsync(string? file, string? text, RunSettings settings, MocoEnvironment environment, string logDirectory,
        RunConsole console, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        IRunStore store;
        try
        {
            store = await RunStores.OpenAsync(settings.Store ?? environment.RunStore, cancel).ConfigureAwait(false);
        }
        catch (RunStoreUnavailableException e)
        {
            StoreUnavailable(error, e);
            return ExitCodes.Environment;
        }
        await using var storeLifetime = store;
        var runEnvironment = settings.LocalEnvironment(environment);
        EmbeddedRunServices started;
        try
        {
            started = await EmbeddedRunServices.StartAsync(store, runEnvironment, new ServeSettings { QuietLogs = true, ModelDirectories = settings.ModelsDirs },
                await ReplicasAsync(store, file, text, settings, runEnvironment, cancel).ConfigureAwait(false), cancel).ConfigureAwait(false);
        }
        catch (MocoConfigurationException e)
        {
            // A setting the services refuse (e.g. --device naming a GPU that is not there): the message names it and the fix.
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        await using var services = started;
        var engine = services.Engine;
        var logOptions = new LogWriteOptions(settings.OverwriteLogs, settings.StrictReferenceLogs);
        RunResult result;
        Task<RunResult> Execute(Action<RunEvent> show) => settings.Resume is { } reference
            ? engine.ResumeAsync(new RunResume(reference, text, settings.Force, logDirectory, logOptions, settings.JsonItems) { NoCache = settings.NoCache },
                show, cancel)
            : engine.StartAsync(new RunStart(text!, file!, Path.GetDirectoryName(Path.GetFullPath(file!)), settings.Overrides(), logDirectory, logOptions,
                settings.JsonItems), show, cancel);
        try
        {
            var terminal = Terminal.For(output);
            // Live bars on a terminal (or when asked for); plain lines (stderr), JSON lines (stdout) or nothing otherwise.
            result = RunProgress.Rich(settings.Progress!, terminal.Profile.Capabilities.Interactive, Environment.GetEnvironmentVariable)
                ? await RunProgressBars.RunAsync(terminal, Execute).ConfigureAwait(false)
                : await Execute(console.Show).ConfigureAwait(false);
        }
        catch (RunRejectedException e)
        {
            return Refused(e, file, error);
        }
        catch (MethodNotImplementedException e)
        {
            return NotBuilt(e, error);
        }
        if (settings.Report)
        {
            Reported(await RunRecords.ToProtoAsync(store, result.RunId, withItems: true, CancellationToken.None).ConfigureAwait(false), logDirectory, error);
        }
        return Finish(result, settings, logDirectory, output, error);
    }

    // The inference replicas the run opens (config-and-cli.md §2.3): one per device of the placement of the config given,
    // else of the resumed run's stored one. Placement needs only the config's own keys, so this validates without the
    // dataset and model lookups the engine does next; a config it refuses, or a placement that fails, opens one replica
    // on --device / MOCO_DEVICE / auto, and the engine then refuses the run with its own messages.
    private static async Task<ReplicaPlan> ReplicasAsync(IRunStore store, string? file, string? text, RunSettings settings, RunEnvironment runEnvironment,
        CancellationToken cancel)
    {
        try
        {
            var configText = text ?? (await store.GetRunAsync(await RunEngine.ResolveAsync(store, settings.Resume!, cancel).ConfigureAwait(false), cancel)
                .ConfigureAwait(false))!.Run.ConfigText;
            var config = new ConfigValidator(MethodRegistry.Default).Validate(configText, file ?? "config",
                new ValidationOptions(AllowUnknownKeys: settings.AllowUnknownKeys)).Config;
            if (config is null || DevicePlacement.For(config, runEnvironment.Devices!) is not { } placement)
            {
                return ReplicaPlan.On(settings.Device);
            }
            var method = MethodRegistry.Default.Find(config.Method);
            return ReplicaPlan.Of(placement, config.ModelNames, placement.Implied(config, method, runEnvironment.Devices!.CudaDevices))
                .WithAddresses(ModelAddresses.For(config, runEnvironment.Models, method));
        }
        catch (RunRejectedException)
        {
            return ReplicaPlan.On(settings.Device);
        }
    }

    /// <summary>A run refused before any work: its config problems, the error with its code and fix; exit 3 for a changed
    /// config on resume, 4 for a run another process owns, else 2.</summary>
    internal static int Refused(RunRejectedException e, string? file, TextWriter error)
    {
        foreach (var problem in e.Problems)
        {
            error.WriteLine(problem.Format(file ?? "config"));
        }
        var lines = e.Message.Split('\n');
        error.WriteLine($"error: {lines[0]} [{e.Code}]");
        foreach (var line in lines.Skip(1))
        {
            error.WriteLine(line);
        }
        if (e.Code == "RUN_CHANGED")
        {
            error.WriteLine("  fix: drop --resume to start a new run, or add --force to resume and recompute what changed");
        }
        return e.Code switch { "RUN_CHANGED" => 3, "RUN_OWNED" => ExitCodes.Environment, _ => ExitCodes.Usage };
    }

    /// <summary>A config whose method this build does not run (exit 4).</summary>
    internal static int NotBuilt(MethodNotImplementedException e, TextWriter error)
    {
        error.WriteLine($"error: {e.Message}\n  fix: `moco validate --list-methods` shows which methods this build runs");
        return ExitCodes.Environment;
    }

    /// <summary>`--report`: the run's HTML report beside its logs, named on stderr (stdout may carry JSON lines).</summary>
    internal static void Reported(Contracts.V1.RunRecord record, string logDirectory, TextWriter error) =>
        error.WriteLine($"report: {ReportCommand.Write([record], markdown: false, file: null, logDirectory, error)}");

    internal static int Finish(RunResult result, RunSettings settings, string logDirectory, TextWriter output, TextWriter error)
    {
        switch (result.Status)
        {
            case RunState.Succeeded:
                if (settings.Quiet)
                {
                    // config-and-cli.md §4.2: `score 0.675 → logs/agieval_tiny_3_0.675_llm_blender.json`.
                    var log = result.ReferenceLog is { } reference ? Path.Combine(logDirectory, reference) : Path.Combine(logDirectory, "moco", result.RunId);
                    output.WriteLine($"score {result.Score?.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) ?? "—"} → {log}");
                }
                else if (!settings.Json && !settings.NoTable)
                {
                    RunConsole.Table(Terminal.For(output), result, logDirectory);
                }
                return ExitCodes.Success;
            case RunState.Cancelled:
                error.WriteLine($"cancelled; resume with: moco run --resume {result.RunId}");
                return ExitCodes.Interrupted;
            default:
                error.WriteLine($"run {result.RunId} failed: {result.Error?.Message}\n  resume with: moco run --resume {result.RunId}");
                return ExitCodes.Failed;
        }
    }

    /// <summary>Tells why the run store named by MOCO_RUN_STORE / --store cannot be opened (the caller exits 4).</summary>
    internal static void StoreUnavailable(TextWriter error, RunStoreUnavailableException e) =>
        error.WriteLine($"error: {e.Message}\n  fix: correct MOCO_RUN_STORE or --store, or start the database it names");

    internal static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"error: {message}\n  fix: see `moco run --help`");
        return ExitCodes.Usage;
    }
}
