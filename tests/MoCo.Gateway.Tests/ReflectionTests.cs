using Grpc.Core;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Support;
using V1 = Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace MoCo.Gateway.Tests;

public sealed class ReflectionTests : IAsyncLifetime
{
    private Replica _router = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        _gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().Add(GatewayBackends.Router, _router));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _router.DisposeAsync();
    }

    [Fact]
    public async Task V1_lists_the_contract_services_and_the_gateways_own()
    {
        var names = await ListAsync(new V1.ServerReflection.ServerReflectionClient(_gateway.Channel).ServerReflectionInfo(),
            new V1.ServerReflectionRequest { ListServices = "" }, r => r.ListServicesResponse.Service.Select(s => s.Name));
        Assert.Superset(new HashSet<string>(GatewayBackends.All.Select(b => b.ServiceName))
        {
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
        }, names.ToHashSet());
    }

    [Fact]
    public async Task V1alpha_lists_them_too_and_serves_the_contract_files()
    {
        var client = new V1Alpha.ServerReflection.ServerReflectionClient(_gateway.Channel);
        var names = await ListAsync(client.ServerReflectionInfo(), new V1Alpha.ServerReflectionRequest { ListServices = "" },
            r => r.ListServicesResponse.Service.Select(s => s.Name));
        Assert.Contains(GatewayBackends.Inference.ServiceName, names);

        var files = await ListAsync(client.ServerReflectionInfo(),
            new V1Alpha.ServerReflectionRequest { FileContainingSymbol = GatewayBackends.Inference.ServiceName },
            r => r.FileDescriptorResponse.FileDescriptorProto.Select(bytes => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(bytes).Name));
        Assert.Contains("moco/v1/inference.proto", files);
    }

    private static async Task<List<string>> ListAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, TRequest request,
        Func<TResponse, IEnumerable<string>> read)
    {
        using (call)
        {
            await call.RequestStream.WriteAsync(request);
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            return [.. read(call.ResponseStream.Current)];
        }
    }
}
