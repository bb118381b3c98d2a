using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Support;
using MoCo.Testing;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace MoCo.Gateway.Tests;

public sealed class HealthServiceTests
{
    private static readonly string Router = GatewayBackends.Router.ServiceName;
    private static readonly string Inference = GatewayBackends.Inference.ServiceName;

    [Fact]
    public async Task Each_service_is_serving_while_it_has_a_healthy_replica()
    {
        await using var inference = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(
            new GatewayOptions().Fast().AddGroup("default", [], inference).Add(GatewayBackends.Router, router));
        var health = new HealthClient(gateway.Channel);
        await UntilStatusAsync(health, "", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, Router));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, Inference));

        router.Module.Readiness.Ready = false;
        await UntilStatusAsync(health, Router, ServingStatus.NotServing);
        Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, ""));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, Inference));

        router.Module.Readiness.Ready = true;
        await UntilStatusAsync(health, Router, ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, ""));

        await router.DisposeAsync();
        await UntilStatusAsync(health, Router, ServingStatus.NotServing);
        Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, ""));
    }

    [Theory]
    [InlineData("moco.v1.NoSuchService")]
    [InlineData("moco.v1.EvaluatorService")] // known to the gateway, but no replicas configured: not routed
    public async Task A_service_the_gateway_does_not_route_is_not_found(string service)
    {
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, router));

        var error = await Assert.ThrowsAsync<RpcException>(() => StatusAsync(new HealthClient(gateway.Channel), service));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(Router, error.Status.Detail);
    }

    [Fact]
    public async Task Watch_pushes_every_change_and_reports_unknown_services_without_ending()
    {
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, router));
        await gateway.UntilHealthyAsync(router);
        var health = new HealthClient(gateway.Channel);
        using var timeout = new CancellationTokenSource(Eventually.DefaultTimeout);

        using var watch = health.Watch(new HealthCheckRequest { Service = Router }, cancellationToken: timeout.Token);
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, timeout.Token));
        router.Module.Readiness.Ready = false;
        Assert.Equal(ServingStatus.NotServing, await NextAsync(watch, timeout.Token));
        router.Module.Readiness.Ready = true;
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, timeout.Token));

        using var unknown = health.Watch(new HealthCheckRequest { Service = "moco.v1.NoSuchService" }, cancellationToken: timeout.Token);
        Assert.Equal(ServingStatus.ServiceUnknown, await NextAsync(unknown, timeout.Token));
    }

    [Fact]
    public async Task Readyz_is_ready_while_every_service_serves_and_degraded_while_some_do()
    {
        await using var inference = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(
            new GatewayOptions().Fast().AddGroup("default", [], inference).Add(GatewayBackends.Router, router));
        using var http = new HttpClient();
        var readyz = new Uri(gateway.Service.AdminAddress, "/readyz");
        await gateway.UntilHealthyAsync(inference, router);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(readyz)).StatusCode);

        await router.DisposeAsync();
        await gateway.UntilUnhealthyAsync(router);
        var degraded = await http.GetAsync(readyz);
        Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
        var body = await degraded.Content.ReadAsStringAsync();
        Assert.Contains("Degraded", body);
        Assert.Contains("moco.v1.RouterService: 0 of 1 replicas ready", body);

        await inference.DisposeAsync();
        await gateway.UntilUnhealthyAsync(inference);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(readyz)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(gateway.Service.AdminAddress, "/healthz"))).StatusCode);
    }

    private static async Task<ServingStatus> StatusAsync(HealthClient health, string service) =>
        (await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(10))).Status;

    private static Task UntilStatusAsync(HealthClient health, string service, ServingStatus wanted) =>
        Eventually.TrueAsync(async () => await StatusAsync(health, service) == wanted, $"'{service}' to be {wanted}");

    private static async Task<ServingStatus> NextAsync(AsyncServerStreamingCall<HealthCheckResponse> watch, CancellationToken cancel)
    {
        Assert.True(await watch.ResponseStream.MoveNext(cancel), "the watch ended");
        return watch.ResponseStream.Current.Status;
    }
}
