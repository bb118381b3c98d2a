using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Health;
using MoCo.Hosting.Outbound;
using MoCo.Hosting.Telemetry;

namespace MoCo.Hosting;

/// <summary>
/// Builds and runs the ASP.NET Core application of one <see cref="IMocoServiceModule"/>: a gRPC h2c listener
/// with the module's services (plus grpc.health.v1 and reflection), and an HTTP/1.1 admin listener with
/// /healthz (alive), /readyz (readiness checks) and /metrics (Prometheus). Hosts are a line calling
/// <see cref="RunAsync"/>; the CLI's embedded mode and tests call <see cref="StartAsync"/>.
/// </summary>
public static class MocoHost
{
    /// <summary>Health-check tag of readiness checks: /readyz and grpc.health.v1 run only these.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Builds the application without starting it.</summary>
    /// <param name="module">The service to host.</param>
    /// <param name="args">Command-line arguments (configuration overrides such as --Moco:Host:GrpcPort=0).</param>
    /// <param name="configure">Runs before the module registers its services: extra configuration sources,
    /// logging tweaks, test doubles.</param>
    public static WebApplication Build(IMocoServiceModule module, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root = the binary's folder, so a host started from any directory finds its appsettings.json.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args ?? [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(MocoHostOptions.Section).Get<MocoHostOptions>() ?? new MocoHostOptions();
        HostOptionsValidator.Validate(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(OutboundChannels.From(options));
        builder.Services.AddSingleton(module);

        ConfigureLogging(builder, options);
        var listeners = ConfigureKestrel(builder, module, options);
        builder.Services.AddSingleton(listeners);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);

        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpc.MaxSendMessageSize = options.MaxMessageBytes;
            grpc.Interceptors.Add<ErrorInterceptor>();
        });
        builder.Services.AddHealthChecks()
            .AddCheck<DrainingHealthCheck>("draining", tags: [ReadyTag]);
        if (module.Features.HasFlag(HostFeatures.GrpcHealth))
        {
            builder.Services.AddGrpcHealthChecks(health =>
            {
                health.Services.Clear();
                health.Services.Map("", c => c.Tags.Contains(ReadyTag));
                foreach (var name in module.GrpcServiceNames)
                {
                    health.Services.Map(name, c => c.Tags.Contains(ReadyTag));
                }
            });
        }
        if (module.Features.HasFlag(HostFeatures.GrpcReflection))
        {
            builder.Services.AddGrpcReflection();
        }
        MocoTelemetry.Add(builder, module, options);

        module.ConfigureServices(builder);

        var app = builder.Build();
        MapEndpoints(app, module);
        return app;
    }

    /// <summary>Builds and starts the application; returns once both listeners are bound.</summary>
    public static async Task<RunningService> StartAsync(IMocoServiceModule module, string[]? args = null,
        Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var app = Build(module, args, configure);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var listeners = app.Services.GetRequiredService<BoundListeners>();
        return new RunningService(module, app, listeners.GrpcAddress, listeners.AdminAddress);
    }

    /// <summary>Runs a host until SIGTERM/SIGINT, draining in-flight calls. Returns the process exit code:
    /// 0 after a clean stop, 2 for invalid configuration, 4 when a port cannot be bound (contracts.md §8).</summary>
    public static async Task<int> RunAsync(IMocoServiceModule module, string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplication app;
        try
        {
            app = Build(module, args, configure);
        }
        catch (MocoConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"error: moco-{module.Name} could not bind its ports: {e.Message}\n" +
                    $"  fix: stop the process using them, or set {MocoHostOptions.Section}:GrpcPort / AdminPort").ConfigureAwait(false);
                return 4;
            }
            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }
        return 0;
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, MocoHostOptions options)
    {
        builder.Logging.ClearProviders();
        if (options.LogFormat == "json")
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
    }

    private static BoundListeners ConfigureKestrel(WebApplicationBuilder builder, IMocoServiceModule module, MocoHostOptions options)
    {
        var address = IPAddress.Parse(options.BindAddress);
        var listeners = new BoundListeners(address);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, options.GrpcPort ?? module.DefaultPorts.Grpc, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(ListenerRoles.Stamp(ListenerRole.Grpc));
                listeners.GrpcTls = module.ConfigureGrpcListener(listen);
                listeners.Grpc = listen;
            });
            kestrel.Listen(address, options.AdminPort ?? module.DefaultPorts.Admin, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(ListenerRoles.Stamp(ListenerRole.Admin));
                listeners.Admin = listen;
            });
        });
        return listeners;
    }

    private static void MapEndpoints(WebApplication app, IMocoServiceModule module)
    {
        app.UseRouting();
        app.Use(ListenerRoles.Enforce);
        app.Use(ServedBy.Stamp(module, app.Services.GetRequiredService<BoundListeners>()));

        var admin = new ListenerMetadata(ListenerRole.Admin);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false })
            .WithMetadata(admin);
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadyTag),
            ResponseWriter = ReadinessReport.WriteAsync,
        }).WithMetadata(admin);
        MocoTelemetry.MapMetrics(app).WithMetadata(admin);

        var grpc = app.MapGroup("").WithMetadata(new ListenerMetadata(ListenerRole.Grpc));
        if (module.Features.HasFlag(HostFeatures.GrpcHealth))
        {
            grpc.MapGrpcHealthChecksService();
        }
        if (module.Features.HasFlag(HostFeatures.GrpcReflection))
        {
            grpc.MapGrpcReflectionService();
        }
        module.MapEndpoints(grpc);

        var listeners = app.Services.GetRequiredService<BoundListeners>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MoCo.Hosting");
        app.Lifetime.ApplicationStarted.Register(() =>
            logger.LogInformation("moco-{Service} {Version} serving gRPC on {Grpc} and admin on {Admin}",
                module.Name, MocoInfo.Version, listeners.GrpcAddress, listeners.AdminAddress));
    }
}
