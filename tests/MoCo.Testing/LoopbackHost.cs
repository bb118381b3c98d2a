using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using MoCo.Hosting;

namespace MoCo.Testing;

/// <summary>Starts a module the way embedded mode does: real Kestrel, 127.0.0.1, free ports.</summary>
public static class LoopbackHost
{
    /// <summary>Starts <paramref name="module"/> with extra configuration <paramref name="settings"/>.</summary>
    public static Task<RunningService> StartAsync(IMocoServiceModule module, params (string Key, string? Value)[] settings) =>
        StartAsync(module, _ => { }, settings);

    /// <summary>Starts <paramref name="module"/> with extra configuration <paramref name="settings"/>;
    /// <paramref name="configure"/> runs before the module registers its services (e.g. a test's gRPC interceptor).</summary>
    public static Task<RunningService> StartAsync(IMocoServiceModule module, Action<WebApplicationBuilder> configure,
        params (string Key, string? Value)[] settings) =>
        MocoHost.StartAsync(module, configure: b =>
        {
            var values = new Dictionary<string, string?>
            {
                ["Moco:Host:BindAddress"] = "127.0.0.1",
                ["Moco:Host:GrpcPort"] = "0",
                ["Moco:Host:AdminPort"] = "0",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in settings)
            {
                values[key] = value;
            }
            b.Configuration.AddInMemoryCollection(values);
            configure(b);
        });
}
