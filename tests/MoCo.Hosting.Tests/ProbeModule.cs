using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Tests.Probe;

namespace MoCo.Hosting.Tests;

/// <summary>A module serving the probe service, with a readiness check the test can flip.</summary>
internal sealed class ProbeModule : IMocoServiceModule
{
    public ReadinessSwitch Readiness { get; } = new();

    public string Name => "probe";
    public IReadOnlyList<string> GrpcServiceNames => ["moco.testing.ProbeService"];
    public ServicePorts DefaultPorts => ServicePorts.Ephemeral;

    public void ConfigureServices(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(Readiness);
        builder.Services.AddSingleton<IExceptionStatusMapper, ProbeMapper>();
        builder.Services.AddSingleton(new PendingCapabilities().Add("moco.testing.ProbeService",
            new Dictionary<string, string> { ["Later"] = "a time machine" }));
        builder.Services.AddHealthChecks().AddCheck<ReadinessSwitch>("probe-ready", tags: [MocoHost.ReadyTag]);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<ProbeServiceImpl>();

    /// <summary>Starts the module on free loopback ports.</summary>
    public static Task<RunningService> StartAsync(ProbeModule module, params (string Key, string Value)[] settings) =>
        MocoHost.StartAsync(module, configure: b =>
        {
            var values = new Dictionary<string, string?> { ["Moco:Host:BindAddress"] = "127.0.0.1" };
            foreach (var (key, value) in settings)
            {
                values[key] = value;
            }
            b.Configuration.AddInMemoryCollection(values);
        });
}

internal sealed class ReadinessSwitch : IHealthCheck
{
    public volatile bool Ready = true;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Ready ? HealthCheckResult.Healthy("ready") : HealthCheckResult.Unhealthy("models loading: 0 of 1"));
}

internal sealed class ProbeFailure(string message) : Exception(message);

internal sealed class ProbeMapper : IExceptionStatusMapper
{
    public RpcException? Map(Exception exception) => exception is ProbeFailure f
        ? MocoErrors.Create(StatusCode.ResourceExhausted, "probe out of memory", new Problem("text", "OUT_OF_MEMORY", f.Message))
        : null;
}

internal sealed class ProbeServiceImpl : Probe.ProbeService.ProbeServiceBase
{
    /// <summary>Calls received per text, retries included.</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Attempts = new();

    public override async Task<ProbeReply> Call(ProbeRequest request, ServerCallContext context)
    {
        var attempt = Attempts.AddOrUpdate(request.Text, 1, (_, n) => n + 1);
        // "unavailable:N": the first N calls with this text answer UNAVAILABLE, as a gateway whose replica just died.
        if (request.Mode.StartsWith("unavailable:", StringComparison.Ordinal) && attempt <= int.Parse(request.Mode["unavailable:".Length..]))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "replica failed before answering"));
        }
        switch (request.Mode)
        {
            case "throw":
                throw new InvalidOperationException("secret internals");
            case "mapped":
                throw new ProbeFailure("needs 9 GiB, 1 GiB free");
            case "cancel":
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                break;
        }
        return new ProbeReply { Text = request.Text };
    }
}
