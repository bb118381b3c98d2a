using System.CommandLine;
using System.Runtime.InteropServices;
using MoCo.Cli.Embedded;
using MoCo.Hosting;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>`moco serve &lt;service&gt;`: hosts one service on its contract ports, or every service in this process
/// (`all`: the backends on loopback behind the gateway); `--check` starts, verifies grpc.health.v1 of each - through
/// the gateway too - and stops (the smoke run).</summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var service = new Argument<string>("service")
        {
            Description = "inference, router, evaluator, orchestrator, gateway (routes as Moco:Gateway configures), sandbox (runs " +
                "coding programs for evaluators whose Moco:Evaluator:SandboxAddress names it), or all " +
                "(every backend in this process on loopback, behind a gateway on --bind/--grpc-port: one address for all).",
        };
        service.AcceptOnlyFromAmong([.. ServiceCatalog.Services, "all"]);
        var bind = new Option<string?>("--bind") { Description = "Address to bind: 0.0.0.0 (default for one service), 127.0.0.1 (default for all)." };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC port of the service (of the gateway for `all`); default per contracts.md §9 (gateway 50050, inference 50051 …); 0 picks a free one." };
        var adminPort = new Option<int?>("--admin-port") { Description = "Admin HTTP/1.1 port (/healthz, /readyz, /metrics) of the service (of the gateway for `all`); default per contracts.md §9 (gateway 9050, inference 9051 …)." };
        var device = new Option<string?>("--device") { Description = "Inference device: cpu, cuda:N or auto (default MOCO_DEVICE, else auto)." };
        var modelsDir = new Option<string[]>("--models-dir") { Description = "Models folder searched first (repeatable).", AllowMultipleArgumentsPerToken = false };
        var dataDir = new Option<string[]>("--data-dir") { Description = "Dataset folder the evaluator and orchestrator search first (repeatable).", AllowMultipleArgumentsPerToken = false };
        var store = new Option<string?>("--store") { Description = "The orchestrator's run store: a SQLite path or a PostgreSQL connection (default MOCO_RUN_STORE, else $MOCO_HOME/runs.db)." };
        var preload = new Option<string?>("--preload") { Description = "Models the inference service loads before it serves, comma-separated (M,…): the first calls then find them resident; one that cannot load stops the host." };
        var check = new Option<bool>("--check") { Description = "Start, check that every service answers grpc.health.v1 SERVING (through the gateway too), stop. Exit 0 when all do." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Every host's information-level logs." };

        var command = new Command("serve", "Serve MoCo.NET services until SIGINT/SIGTERM, draining in-flight calls on the way out.")
        {
            service, bind, grpcPort, adminPort, device, modelsDir, dataDir, store, preload, check, verbose,
        };
        command.SetAction(async (parse, _) =>
        {
            var name = parse.GetValue(service)!;
            var all = name == "all";
            var settings = new ServeSettings
            {
                BindAddress = parse.GetValue(bind),
                GrpcPort = parse.GetValue(grpcPort),
                AdminPort = parse.GetValue(adminPort),
                Device = parse.GetValue(device),
                ModelDirectories = parse.GetValue(modelsDir) ?? [],
                DataDirectories = parse.GetValue(dataDir) ?? [],
                RunStore = parse.GetValue(store),
                Preload = [.. (parse.GetValue(preload) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                QuietLogs = (all || parse.GetValue(check)) && !parse.GetValue(verbose),
            };
            return await RunAsync(all ? null : name, settings, parse.GetValue(check), parse.InvocationConfiguration.Output).ConfigureAwait(false);
        });
        return command;
    }

    // How long --check waits for the gateway's first probes of its replicas to find them ready.
    private static readonly TimeSpan GatewayPatience = TimeSpan.FromSeconds(30);

    /// <param name="name">One service, or null for all behind the gateway.</param>
    private static async Task<int> RunAsync(string? name, ServeSettings settings, bool check, TextWriter output)
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
            cluster = name is null
                ? await EmbeddedCluster.StartAllAsync(settings, stop.Token).ConfigureAwait(false)
                : await EmbeddedCluster.StartOneAsync(name, settings, stop.Token).ConfigureAwait(false);
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
            var table = new Table().AddColumn("service").AddColumn("gRPC").AddColumn("admin (/healthz /readyz /metrics)");
            foreach (var s in cluster.Services)
            {
                table.AddRow(s.Module.Name, s.GrpcAddress.ToString(), s.AdminAddress.ToString());
            }
            console.Write(table);

            if (check)
            {
                var results = await cluster.CheckHealthAsync(GatewayPatience, stop.Token).ConfigureAwait(false);
                foreach (var (service, serving, detail) in results)
                {
                    console.MarkupLine($"{(serving ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape(service)}: {Markup.Escape(detail)}");
                }
                return results.All(r => r.Serving) ? ExitCodes.Success : ExitCodes.Failed;
            }

            var entry = cluster.Gateway is { } gateway ? $" at {gateway.GrpcAddress}" : "";
            console.MarkupLine($"MoCo.NET {Markup.Escape(MocoInfo.Version)} serving{Markup.Escape(entry)}; Ctrl-C or SIGTERM drains and stops.");
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
