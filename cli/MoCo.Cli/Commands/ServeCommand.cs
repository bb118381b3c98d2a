using System.CommandLine;
using System.Runtime.InteropServices;
using MoCo.Cli.Embedded;
using MoCo.Hosting;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>`moco serve &lt;service&gt;`: hosts one service on its contract ports, or every backend service in this
/// process on loopback (`all`); `--check` starts, verifies grpc.health.v1 of each, and stops (the smoke run).</summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var service = new Argument<string>("service")
        {
            Description = "inference, router, evaluator, orchestrator, or all (every service in this process on loopback). " +
                "The gateway is not built yet.",
        };
        service.AcceptOnlyFromAmong([.. ServiceCatalog.Backends, "all"]);
        var bind = new Option<string?>("--bind") { Description = "Address to bind: 0.0.0.0 (default for one service), 127.0.0.1 (default for all)." };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC (h2c) port of a single service; default per contracts.md §9 (inference 50051 …)." };
        var adminPort = new Option<int?>("--admin-port") { Description = "Admin HTTP/1.1 port (/healthz, /readyz, /metrics); default per contracts.md §9 (inference 9051 …)." };
        var device = new Option<string?>("--device") { Description = "Inference device: cpu, cuda:N or auto (default MOCO_DEVICE, else auto)." };
        var modelsDir = new Option<string[]>("--models-dir") { Description = "Models folder searched first (repeatable).", AllowMultipleArgumentsPerToken = false };
        var check = new Option<bool>("--check") { Description = "Start, check that every service answers grpc.health.v1 SERVING, stop. Exit 0 when all do." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Every host's information-level logs." };

        var command = new Command("serve", "Serve MoCo.NET services until SIGINT/SIGTERM, draining in-flight calls on the way out.")
        {
            service, bind, grpcPort, adminPort, device, modelsDir, check, verbose,
        };
        command.SetAction(async (parse, _) =>
        {
            var name = parse.GetValue(service)!;
            var all = name == "all";
            if (all && (parse.GetValue(grpcPort) is not null || parse.GetValue(adminPort) is not null))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("error: --grpc-port/--admin-port name one service's ports; `serve all` picks free loopback ports\n  fix: drop them, or serve one service").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            var settings = new ServeSettings
            {
                BindAddress = parse.GetValue(bind),
                GrpcPort = parse.GetValue(grpcPort),
                AdminPort = parse.GetValue(adminPort),
                Device = parse.GetValue(device),
                ModelDirectories = parse.GetValue(modelsDir) ?? [],
                QuietLogs = (all || parse.GetValue(check)) && !parse.GetValue(verbose),
            };
            return await RunAsync(all ? ServiceCatalog.Backends : [name], settings, !all, parse.GetValue(check), parse.InvocationConfiguration.Output).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(IReadOnlyList<string> names, ServeSettings settings, bool single, bool check, TextWriter output)
    {
        var console = Terminal.For(output);
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        EmbeddedCluster cluster;
        try
        {
            cluster = await EmbeddedCluster.StartAsync(names, settings, single, stop.Token).ConfigureAwait(false);
        }
        catch (MocoConfigurationException e)
        {
            console.MarkupLine($"[red]error[/]: {Markup.Escape(e.Message)}");
            return ExitCodes.Usage;
        }
        catch (IOException e)
        {
            console.MarkupLine($"[red]error[/]: cannot bind: {Markup.Escape(e.Message)}\n  fix: free the port or choose others with --grpc-port/--admin-port");
            return ExitCodes.Environment;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }

        await using (cluster.ConfigureAwait(false))
        {
            var table = new Table().AddColumn("service").AddColumn("gRPC (h2c)").AddColumn("admin (/healthz /readyz /metrics)");
            foreach (var s in cluster.Services)
            {
                table.AddRow(s.Module.Name, s.GrpcAddress.ToString(), s.AdminAddress.ToString());
            }
            console.Write(table);

            if (check)
            {
                var results = await cluster.CheckHealthAsync(stop.Token).ConfigureAwait(false);
                foreach (var (service, serving, detail) in results)
                {
                    console.MarkupLine($"{(serving ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape(service)}: {Markup.Escape(detail)}");
                }
                return results.All(r => r.Serving) ? ExitCodes.Success : ExitCodes.Failed;
            }

            console.MarkupLine($"MoCo.NET {Markup.Escape(MocoInfo.Version)} serving; Ctrl-C or SIGTERM drains and stops.");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                console.MarkupLine("stopping: draining in-flight calls");
            }
        }
        return ExitCodes.Success;
    }
}
