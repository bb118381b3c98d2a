using Grpc.Core;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Support;

namespace MoCo.Gateway.Tests;

public sealed class FailoverTests
{
    [Fact]
    public async Task Once_a_stopped_replica_is_detected_every_call_lands_on_the_survivor()
    {
        await using var replicas = await TestHosts.StartReplicasAsync(GatewayBackends.Inference, 2);
        var (stopped, survivor) = (replicas[0], replicas[1]);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().AddGroup("default", [], replicas));
        await gateway.UntilHealthyAsync(replicas);

        await stopped.DisposeAsync();
        await gateway.UntilUnhealthyAsync(stopped);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(survivor.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, $"call {i}")).AnsweredBy);
        }
    }

    [Fact]
    public async Task A_service_with_no_replica_in_rotation_answers_unavailable_saying_why()
    {
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, router));
        await gateway.UntilHealthyAsync(router);

        await router.DisposeAsync();
        await gateway.UntilUnhealthyAsync(router);

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Channel.EchoAsync(GatewayBackends.Router));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("moco.v1.RouterService: no replica in rotation", error.Status.Detail);
    }

    [Fact]
    public async Task A_replica_that_is_not_ready_leaves_rotation_and_returns()
    {
        await using var replicas = await TestHosts.StartReplicasAsync(GatewayBackends.Router, 2);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, replicas));
        await gateway.UntilHealthyAsync(replicas);

        replicas[0].Module.Readiness.Ready = false;
        await gateway.UntilUnhealthyAsync(replicas[0]);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(replicas[1].ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Router)).AnsweredBy);
        }

        replicas[0].Module.Readiness.Ready = true;
        await gateway.UntilHealthyAsync(replicas);
    }
}
