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
}
