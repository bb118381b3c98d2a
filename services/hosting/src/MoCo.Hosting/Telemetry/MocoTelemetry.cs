using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MoCo.Hosting.Telemetry;

/// <summary>
/// OpenTelemetry for every host: ASP.NET Core and HttpClient instrumentation plus every meter and activity
/// source whose name starts with "MoCo.", exported as Prometheus text at /metrics on the admin port and, when
/// an OTLP endpoint is configured, pushed over OTLP.
/// </summary>
public static class MocoTelemetry
{
    /// <summary>Prefix of MoCo.NET's own meters and activity sources ("MoCo.Inference", "MoCo.Gateway"…).</summary>
    public const string NamePrefix = "MoCo.";

    /// <summary>Creates the activity source a library uses for its spans.</summary>
    public static ActivitySource Source(string component) => new(NamePrefix + component, MocoInfo.Version);

    /// <summary>Creates the meter a library uses for its instruments.</summary>
    public static Meter Meter(string component) => new(NamePrefix + component, MocoInfo.Version);

    internal static void Add(WebApplicationBuilder builder, IMocoServiceModule module, MocoHostOptions options)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("moco-" + module.Name, serviceVersion: MocoInfo.Version))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter(NamePrefix + "*")
                .AddPrometheusExporter())
            .WithTracing(t => t
                // Probes and scrapes would drown the traces of real calls.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => ListenerRoles.Of(ctx) != ListenerRole.Admin)
                .AddHttpClientInstrumentation()
                .AddSource(NamePrefix + "*"));

        var endpoint = string.IsNullOrWhiteSpace(options.OtlpEndpoint)
            ? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")
            : options.OtlpEndpoint;
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            {
                throw new MocoConfigurationException(MocoHostOptions.Section + ":" + nameof(options.OtlpEndpoint),
                    $"'{endpoint}' is not an absolute URL", "use e.g. http://otel-collector:4317, or leave it empty to export nothing");
            }
            otel.UseOtlpExporter(OtlpExportProtocol.Grpc, uri);
        }
    }

    internal static IEndpointConventionBuilder MapMetrics(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
}
