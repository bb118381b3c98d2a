using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace MoCo.IntegrationTests;

/// <summary>One cluster shared by the tests that only read from it.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The running cluster.</summary>
    public LoopbackCluster Cluster { get; private set; } = null!;

    /// <inheritdoc/>
    public async Task InitializeAsync() => Cluster = await LoopbackCluster.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class GatewayFrontTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly string[] Services =
    [
        InferenceService.Descriptor.FullName, RouterService.Descriptor.FullName,
        EvaluatorService.Descriptor.FullName, OrchestratorService.Descriptor.FullName,
    ];

    private LoopbackCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Every_service_and_the_whole_are_serving_through_the_gateway()
    {
        var health = new Health.HealthClient(Cluster.Channel);
        foreach (var service in Services.Append(""))
        {
            var reply = await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: Deadline());
            Assert.True(reply.Status == ServingStatus.Serving, $"'{service}' is {reply.Status}");
        }
    }

    [Fact]
    public async Task Reflection_through_the_gateway_lists_and_describes_every_service()
    {
        var reflection = new ServerReflection.ServerReflectionClient(Cluster.Channel);
        using var call = reflection.ServerReflectionInfo(deadline: Deadline());

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var listed = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Superset(Services.ToHashSet(), listed.ToHashSet());

        foreach (var service in Services)
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = service });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var reply = call.ResponseStream.Current;
            Assert.True(reply.FileDescriptorResponse is not null, $"{service}: {reply.ErrorResponse?.ErrorMessage}");
            var files = reply.FileDescriptorResponse.FileDescriptorProto
                .Select(bytes => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(bytes)).ToList();
            Assert.Contains(files, f => f.Service.Any(s => $"{f.Package}.{s.Name}" == service));
        }
        await call.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task Inference_calls_are_spread_over_both_replicas()
    {
        var client = new InferenceService.InferenceServiceClient(Cluster.Channel);
        var answeredBy = new HashSet<string>();
        for (var i = 0; i < 40 && answeredBy.Count < 2; i++)
        {
            using var call = client.ListModelsAsync(new ListModelsRequest(), deadline: Deadline());
            answeredBy.Add(ReplicaOf(await call.ResponseHeadersAsync));
            await call;
        }
        var replicas = Cluster.Inference.Select(r => $":{r.GrpcAddress.Port}").ToHashSet();
        Assert.Equal(replicas, answeredBy.Select(a => a[a.LastIndexOf(':')..]).ToHashSet());
    }

    [Fact]
    public async Task An_unknown_model_is_not_found_and_named_through_the_gateway()
    {
        var client = new InferenceService.InferenceServiceClient(Cluster.Channel);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.ModelInfoAsync(new ModelInfoRequest { Model = "no-such-model-7b" }, deadline: Deadline()));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("no-such-model-7b", error.Status.Detail);
    }

    [Fact]
    public async Task A_method_the_router_does_not_serve_yet_is_unimplemented_through_the_gateway_not_a_proxy_error()
    {
        var request = new RouteRequest { Context = new RouterContext { Method = "api_collm", ModelNames = { "m-a", "m-b" } } };
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new RouterService.RouterServiceClient(Cluster.Channel).RouteAsync(request));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("RouterService/Route for api_collm", error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>The inference replica named by the backend's moco-served-by value (the gateway adds its own).</summary>
    internal static string ReplicaOf(Metadata headers) =>
        headers.Where(h => h.Key == ServedBy.Header).SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries))
            .Single(v => v.StartsWith("inference@", StringComparison.Ordinal));

    internal static DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);
}
