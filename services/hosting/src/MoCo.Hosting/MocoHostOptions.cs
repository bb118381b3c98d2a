namespace MoCo.Hosting;

/// <summary>
/// Listener and process settings, bound from the configuration section <c>Moco:Host</c> (appsettings.json,
/// or environment variables such as <c>Moco__Host__GrpcPort=50051</c>). Unset ports take the module's defaults.
/// </summary>
public sealed class MocoHostOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string Section = "Moco:Host";

    /// <summary>Address both listeners bind to: "0.0.0.0" (all IPv4), "::" (all), "127.0.0.1" (loopback only).</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>gRPC (h2c) port; null = the module's default; 0 = any free port.</summary>
    public int? GrpcPort { get; set; }

    /// <summary>Admin (HTTP/1.1) port; null = the module's default; 0 = any free port.</summary>
    public int? AdminPort { get; set; }

    /// <summary>Largest gRPC message accepted or sent. contracts.md §0: payload chunks are at most 4 MiB and
    /// every host allows 8 MiB so a chunk plus its envelope always fits.</summary>
    public int MaxMessageBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How long in-flight calls may drain after SIGTERM before the host stops them.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Console log format: "simple" for people, "json" for log collectors.</summary>
    public string LogFormat { get; set; } = "simple";

    /// <summary>OTLP endpoint for traces and metrics; empty = the OTEL_EXPORTER_OTLP_ENDPOINT variable, and no
    /// OTLP export when that is unset too. Prometheus metrics are always served on the admin port.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>PEM file of certificate authorities this host trusts, besides the system's, when it calls another
    /// service over https (a gateway serving TLS under a private CA); null = the system's only.</summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>Bearer token sent on every call to another service, for a gateway that checks tokens
    /// (Moco:Gateway:Auth:TokensFile); null = none. In Kubernetes: an env entry from a Secret.</summary>
    public string? GatewayToken { get; set; }
}
