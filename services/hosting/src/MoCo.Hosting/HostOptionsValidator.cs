using System.Net;

namespace MoCo.Hosting;

internal static class HostOptionsValidator
{
    private const string Prefix = MocoHostOptions.Section + ":";

    public static void Validate(MocoHostOptions options)
    {
        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            throw new MocoConfigurationException(Prefix + nameof(options.BindAddress), $"'{options.BindAddress}' is not an IP address",
                "use 0.0.0.0 (all interfaces), :: (all, IPv6) or 127.0.0.1 (this machine only)");
        }
        CheckPort(nameof(options.GrpcPort), options.GrpcPort);
        CheckPort(nameof(options.AdminPort), options.AdminPort);
        if (options.GrpcPort is > 0 && options.GrpcPort == options.AdminPort)
        {
            throw new MocoConfigurationException(Prefix + nameof(options.AdminPort), $"the admin port equals the gRPC port ({options.GrpcPort})",
                "give the admin listener its own port: h2c gRPC and HTTP/1.1 cannot share one plain-text port");
        }
        if (options.MaxMessageBytes < 4 * 1024 * 1024 + 64 * 1024)
        {
            throw new MocoConfigurationException(Prefix + nameof(options.MaxMessageBytes), $"{options.MaxMessageBytes} bytes is below one 4 MiB payload chunk plus its envelope",
                "leave it unset (8 MiB) or raise it");
        }
        if (options.LogFormat is not ("simple" or "json"))
        {
            throw new MocoConfigurationException(Prefix + nameof(options.LogFormat), $"'{options.LogFormat}' is not a log format",
                "use simple or json");
        }
        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            throw new MocoConfigurationException(Prefix + nameof(options.ShutdownTimeout), "is negative", "use a duration such as 00:00:30");
        }
    }

    private static void CheckPort(string name, int? port)
    {
        if (port is < 0 or > 65535)
        {
            throw new MocoConfigurationException(Prefix + name, $"{port} is not a TCP port", "use 1-65535, or 0 for any free port");
        }
    }
}
