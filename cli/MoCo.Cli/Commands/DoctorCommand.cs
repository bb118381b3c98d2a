using System.CommandLine;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Service;
using MoCo.Hosting;
using MoCo.Models.Catalog;
using MoCo.Native;
using MoCo.Orchestrator.Runs;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>`moco doctor`: what this installation has — native engine and devices, data and model folders with
/// counts, run store, the code sandbox coding tasks would get here, server reachability — and whether anything
/// essential is missing.</summary>
public static class DoctorCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var command = new Command("doctor",
            "Check this installation: native engine version and devices, data and model folders, run store, server. " +
            "Exit 0 when usable, 4 when the native engine cannot load or MOCO_SERVER is unreachable.")
        {
            json,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var report = await DoctorReport.CollectAsync(new MocoEnvironment(), cancel).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(report, JsonOptions)).ConfigureAwait(false);
            }
            else
            {
                Render(report, parse.InvocationConfiguration.Output);
            }
            return report.Healthy ? ExitCodes.Success : ExitCodes.Environment;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static void Render(DoctorReport report, TextWriter output)
    {
        var console = Terminal.For(output);
        var table = new Table().Border(TableBorder.None).HideHeaders().AddColumn("what").AddColumn("found");
        table.AddRow("[bold]MoCo.NET[/]", Markup.Escape(report.Version));
        table.AddRow("native", report.NativeError is null
            ? Markup.Escape($"libmoco {report.NativeVersion} ({report.NativeBuild})")
            : $"[red]cannot load libmoco[/]: {Markup.Escape(report.NativeError)}");
        foreach (var device in report.Devices)
        {
            table.AddRow("device", Markup.Escape(device));
        }
        foreach (var folder in report.DataDirectories)
        {
            table.AddRow("data", Markup.Escape(Describe(folder, "dataset")));
        }
        foreach (var folder in report.ModelDirectories)
        {
            table.AddRow("models", Markup.Escape(Describe(folder, "model")));
        }
        table.AddRow("store", Markup.Escape(report.Store));
        table.AddRow("sandbox", report.SandboxError is null ? Markup.Escape(report.Sandbox)
            : $"[yellow]{Markup.Escape(report.SandboxError)}[/] (only coding tasks need it)");
        table.AddRow("server", report.ServerError is null ? Markup.Escape(report.Server) : $"[red]{Markup.Escape(report.Server)}[/]: {Markup.Escape(report.ServerError)}");
        console.Write(table);
        console.MarkupLine(report.Healthy ? "[green]ok[/]: this installation can serve and run" : "[red]problems found[/]: see the red lines above");
    }

    private static string Describe(FolderReport folder, string noun) =>
        folder.Error is not null ? $"{folder.Path}: {folder.Error}"
        : !folder.Exists ? $"{folder.Path}: absent"
        : $"{folder.Path}: {folder.Count} {noun}{(folder.Count == 1 ? "" : "s")}";

    /// <summary>One searched folder and what it holds.</summary>
    public sealed record FolderReport(string Path, bool Exists, int Count, string? Error);

    /// <summary>Everything doctor found.</summary>
    public sealed record DoctorReport(
        string Version,
        string? NativeVersion,
        string? NativeBuild,
        string? NativeError,
        IReadOnlyList<string> Devices,
        IReadOnlyList<FolderReport> DataDirectories,
        IReadOnlyList<FolderReport> ModelDirectories,
        string Store,
        string Sandbox,
        string? SandboxError,
        string Server,
        string? ServerError)
    {
        /// <summary>Usable: the engine loads and a configured server answers (coding tasks alone need the sandbox).</summary>
        public bool Healthy => NativeError is null && ServerError is null;

        /// <summary>Inspects the installation described by <paramref name="env"/>.</summary>
        public static async Task<DoctorReport> CollectAsync(MocoEnvironment env, CancellationToken cancel)
        {
            string? nativeVersion = null, nativeBuild = null, nativeError = null;
            IReadOnlyList<string> devices = [];
            try
            {
                nativeVersion = MocoEngine.Version;
                nativeBuild = MocoEngine.BuildInfo;
                devices = [.. MocoEngine.Devices.Select(Inference.DeviceMessages.Describe)];
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or MocoException)
            {
                nativeError = e.Message;
            }

            var data = env.DataDirectories.Select(d => Folder(d, () => Directory.EnumerateFiles(d, "*.json").Count(f => Path.GetFileName(f) != "catalogue.json"))).ToList();
            var models = env.ModelDirectories.Select(d => Folder(d, () => new ModelResolver([d], d, null).List().Count)).ToList();
            // A PostgreSQL value is shown without its password.
            var store = RunStores.IsPostgres(env.RunStore) ? PostgresConnectionString.Redact(env.RunStore)
                : File.Exists(env.RunStore) ? env.RunStore
                : $"{env.RunStore} (created by the first run)";
            var (sandbox, sandboxError) = await CheckSandboxAsync(cancel).ConfigureAwait(false);
            var (server, serverError) = await CheckServerAsync(env, cancel).ConfigureAwait(false);
            return new DoctorReport(MocoInfo.Version, nativeVersion, nativeBuild, nativeError, devices, data, models, store, sandbox, sandboxError,
                server, serverError);
        }

        private static FolderReport Folder(string path, Func<int> count)
        {
            if (!Directory.Exists(path))
            {
                return new FolderReport(path, false, 0, null);
            }
            try
            {
                return new FolderReport(path, true, count(), null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                return new FolderReport(path, true, 0, e.Message);
            }
        }

        // What an embedded run's coding items would get here: the probe program runs as every program would.
        private static async Task<(string, string?)> CheckSandboxAsync(CancellationToken cancel)
        {
            try
            {
                var sandbox = LocalSandbox.OfThisMachine(new EvaluatorOptions().SandboxUidBase);
                return ((await sandbox.PrepareAsync(new SandboxLimits(), cancel).ConfigureAwait(false)).Describe(), null);
            }
            catch (MoCo.Evaluator.Errors.EvaluatorException e)
            {
                return ("unavailable", e.Message);
            }
        }

        private static async Task<(string, string?)> CheckServerAsync(MocoEnvironment env, CancellationToken cancel)
        {
            var server = env.Server;
            if (server is null)
            {
                return ("MOCO_SERVER unset: runs are embedded (every service in this process)", null);
            }
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return (server, "MOCO_SERVER is not an http:// (h2c) or https:// URL");
            }
            try
            {
                using var channel = env.ServerChannels().Create(uri);
                var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(),
                    deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancel).ConfigureAwait(false);
                if (reply.Status != HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return (server, $"answers but reports {reply.Status}");
                }
                // Health is open to anyone (load balancers probe it); reflection takes the token a gateway may require.
                using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(
                    deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancel);
                await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, cancel).ConfigureAwait(false);
                await reflection.RequestStream.CompleteAsync().ConfigureAwait(false);
                await reflection.ResponseStream.MoveNext(cancel).ConfigureAwait(false);
                return ($"{server}: serving", null);
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unauthenticated)
            {
                return (server, $"serving, but refuses this client: {e.Status.Detail}");
            }
            catch (MocoConfigurationException e)
            {
                return (server, e.Message);
            }
            catch (Grpc.Core.RpcException e)
            {
                return (server, $"unreachable ({e.StatusCode}: {e.Status.Detail})");
            }
        }
    }
}
