using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoCo.Hosting;

namespace MoCo.Gateway.Tests.Support;

/// <summary>A backend replica serving the stand-in of one moco.v1 service, with the standard health and
/// reflection of every MoCo host and a readiness switch the test can flip.</summary>
internal sealed class FakeBackendModule(GatewayBackend backend) : IMocoServiceModule
{
    public ReadinessSwitch Readiness { get; } = new();

    public string Name => backend.Key;
    public IReadOnlyList<string> GrpcServiceNames => [backend.ServiceName];
    public ServicePorts DefaultPorts => ServicePorts.Ephemeral;

    public void ConfigureServices(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(Readiness);
        builder.Services.AddHealthChecks().AddCheck<ReadinessSwitch>("test-ready", tags: [MocoHost.ReadyTag]);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints) => _ = backend.Key switch
    {
        "inference" => endpoints.MapGrpcService<FakeInference>(),
        "router" => endpoints.MapGrpcService<FakeRouter>(),
        "evaluator" => endpoints.MapGrpcService<FakeEvaluator>(),
        "orchestrator" => endpoints.MapGrpcService<FakeOrchestrator>(),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend.Key, "not a backend"),
    };
}

/// <summary>Readiness the test controls: /readyz and so the gateway's probes follow it.</summary>
internal sealed class ReadinessSwitch : IHealthCheck
{
    public volatile bool Ready = true;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Ready ? HealthCheckResult.Healthy("ready") : HealthCheckResult.Unhealthy("switched off by the test"));
}
