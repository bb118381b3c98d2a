using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Support;

namespace MoCo.Gateway.Tests;

public sealed class AffinityTests
{
    [Fact]
    public async Task Every_inference_response_names_its_replica_and_sending_it_back_pins_calls_there()
    {
        await using var replicas = await TestHosts.StartReplicasAsync(GatewayBackends.Inference, 2);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().AddGroup("default", [], replicas));
        await gateway.UntilHealthyAsync(replicas);

        var first = await gateway.Channel.EchoAsync(GatewayBackends.Inference, "make a model");
        var creator = replicas.Single(r => r.ServedBy == first.AnsweredBy);
        Assert.Equal(creator.Id, first.Replica);

        foreach (var target in replicas)
        {
            for (var i = 0; i < 10; i++)
            {
                var pinned = await gateway.Channel.EchoAsync(GatewayBackends.Inference, $"use it {i}", model: "merged-1234", replica: target.Id);
                Assert.Equal(target.ServedBy, pinned.AnsweredBy);
                Assert.Equal(target.Id, pinned.Replica);
            }
        }
    }

    [Fact]
    public async Task A_pinned_call_reaches_its_replica_in_another_group_than_its_model_would_pick()
    {
        await using var standard = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        await using var big = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        var options = new GatewayOptions().Fast().AddGroup("default", [], standard).AddGroup("big", ["big-7b"], big);
        await using var gateway = await TestHosts.StartGatewayAsync(options);

        // A model merged on the big replica at run time has an id no group lists: only moco-replica finds it.
        var pinned = await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "merged-from-big-7b", replica: big.Id);
        Assert.Equal(big.ServedBy, pinned.AnsweredBy);
        var unpinned = await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "merged-from-big-7b");
        Assert.Equal(standard.ServedBy, unpinned.AnsweredBy);
    }

    [Fact]
    public async Task A_call_pinned_to_a_replica_that_is_gone_is_redistributed_and_told_its_new_replica()
    {
        await using var replicas = await TestHosts.StartReplicasAsync(GatewayBackends.Inference, 2);
        var (gone, survivor) = (replicas[0], replicas[1]);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().AddGroup("default", [], replicas));
        await gateway.UntilHealthyAsync(replicas);
        Assert.Equal(gone.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, replica: gone.Id)).AnsweredBy);

        await gone.DisposeAsync();
        await gateway.UntilUnhealthyAsync(gone);

        for (var i = 0; i < 10; i++)
        {
            var moved = await gateway.Channel.EchoAsync(GatewayBackends.Inference, replica: gone.Id);
            Assert.Equal(survivor.ServedBy, moved.AnsweredBy);
            Assert.Equal(survivor.Id, moved.Replica);
        }
        Assert.Equal(survivor.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, replica: "10.9.9.9:50051")).AnsweredBy);
    }

    [Fact]
    public async Task Services_other_than_inference_carry_no_replica_header()
    {
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, router));

        Assert.Null((await gateway.Channel.EchoAsync(GatewayBackends.Router)).Replica);
    }
}
