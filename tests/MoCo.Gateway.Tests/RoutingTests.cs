using Grpc.Core;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Routing;
using MoCo.Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MoCo.Gateway.Tests;

public sealed class RoutingTests
{
    [Fact]
    public async Task Each_service_path_reaches_a_replica_of_that_service()
    {
        var replicas = new Dictionary<GatewayBackend, Replica>();
        foreach (var backend in GatewayBackends.All)
        {
            replicas[backend] = await TestHosts.StartReplicaAsync(backend);
        }
        var options = new GatewayOptions().Fast().AddGroup("default", [], replicas[GatewayBackends.Inference]);
        foreach (var backend in GatewayBackends.All.Skip(1))
        {
            options.Add(backend, replicas[backend]);
        }
        await using var gateway = await TestHosts.StartGatewayAsync(options);
        try
        {
            foreach (var backend in GatewayBackends.All)
            {
                var result = await gateway.Channel.EchoAsync(backend, "to " + backend.Key);
                Assert.Equal(backend.ServiceName, result.Reply.Service);
                Assert.Equal("to " + backend.Key, result.Reply.Text);
                Assert.Equal(replicas[backend].ServedBy, result.AnsweredBy);
            }
        }
        finally
        {
            foreach (var replica in replicas.Values)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_service_without_replicas_is_unimplemented()
    {
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, router));

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Channel.EchoAsync(GatewayBackends.Evaluator));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task The_admin_listener_forwards_nothing()
    {
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, router));
        using var http = new HttpClient();

        var response = await http.PostAsync(new Uri(gateway.Service.AdminAddress, "/moco.v1.RouterService/Echo"), new ByteArrayContent([]));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Calls_are_balanced_over_every_replica_of_a_group()
    {
        await using var replicas = await TestHosts.StartReplicasAsync(GatewayBackends.Inference, 2);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().AddGroup("default", [], replicas));
        await gateway.UntilHealthyAsync(replicas);

        // Power of two choices picks either idle replica at random: 64 calls all missing one has odds 2^-63.
        var seen = new HashSet<string>();
        for (var i = 0; i < 64 && seen.Count < replicas.Count; i++)
        {
            seen.Add((await gateway.Channel.EchoAsync(GatewayBackends.Inference)).AnsweredBy);
        }
        Assert.Equal(replicas.Select(r => r.ServedBy).Order(), seen.Order());
    }

    [Fact]
    public async Task The_model_header_selects_the_group_and_unknown_models_go_to_the_default_group()
    {
        await using var small = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        await using var big = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        var options = new GatewayOptions().Fast().AddGroup("small", ["tiny-1b"], small).AddGroup("big", ["big-7b", "llama3:8b"], big);
        options.Inference.DefaultGroup = "small";
        await using var gateway = await TestHosts.StartGatewayAsync(options);

        Assert.Equal(big.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "big-7b")).AnsweredBy);
        Assert.Equal(big.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "llama3:8b")).AnsweredBy);
        Assert.Equal(small.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "tiny-1b")).AnsweredBy);
        Assert.Equal(small.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "unknown-model")).AnsweredBy);
        // Exact match: a name differing in case is another model.
        Assert.Equal(small.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference, model: "BIG-7B")).AnsweredBy);
        Assert.Equal(small.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Inference)).AnsweredBy);
    }

    [Fact]
    public async Task Routing_can_be_pointed_at_new_replicas_while_running()
    {
        await using var first = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var second = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, first));
        Assert.Equal(first.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Router)).AnsweredBy);

        gateway.Service.App.Services.GetRequiredService<GatewayProxyConfig>().Update(new GatewayOptions().Fast().Add(GatewayBackends.Router, second));

        // The new replica has health state only once YARP applied the new clusters, and the old one is gone then.
        await gateway.UntilHealthyAsync(second);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(second.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Router)).AnsweredBy);
        }
    }
}
