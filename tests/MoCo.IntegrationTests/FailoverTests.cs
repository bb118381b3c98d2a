using MoCo.Contracts.V1;

namespace MoCo.IntegrationTests;

public sealed class FailoverTests
{
    [Fact]
    public async Task After_a_replica_stops_and_the_gateway_notices_no_call_fails()
    {
        await using var cluster = await LoopbackCluster.StartAsync();
        var (stopped, survivor) = (cluster.Inference[0], cluster.Inference[1]);

        await cluster.StopAsync(stopped);
        await cluster.UntilAsync([stopped], healthy: false);

        var client = new InferenceService.InferenceServiceClient(cluster.Channel);
        for (var i = 0; i < 20; i++)
        {
            using var call = client.ListModelsAsync(new ListModelsRequest(), deadline: GatewayFrontTests.Deadline());
            var replica = GatewayFrontTests.ReplicaOf(await call.ResponseHeadersAsync);
            Assert.EndsWith($":{survivor.GrpcAddress.Port}", replica);
            await call;
        }
    }

    [Fact]
    public async Task Calls_a_service_makes_while_a_replica_dies_and_before_the_gateway_notices_are_answered()
    {
        await using var cluster = await LoopbackCluster.StartAsync();
        using var channel = MoCo.Hosting.Outbound.OutboundChannels.SystemTrust.Create(cluster.Gateway.GrpcAddress);
        var client = new InferenceService.InferenceServiceClient(channel);

        await cluster.StopAsync(cluster.Inference[0]);
        // No waiting for the probes: half of these go to the dead replica, are answered UNAVAILABLE by the gateway and
        // are sent again until the survivor answers.
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var call = client.ListModelsAsync(new ListModelsRequest(), deadline: GatewayFrontTests.Deadline());
            await call;
            return GatewayFrontTests.ReplicaOf(await call.ResponseHeadersAsync);
        }));
        Assert.All(replies, r => Assert.EndsWith($":{cluster.Inference[1].GrpcAddress.Port}", r));
    }
}
