using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using MoCo.Hosting;
using Xunit;

namespace MoCo.Testing;

/// <summary>
/// The contract of a service whose RPCs are not built yet: it is up and healthy, every RPC of its descriptor
/// answers UNIMPLEMENTED naming the RPC and what it waits on, and the pending map covers exactly the RPCs
/// the service does not serve. Each service's test project derives one class from this.
/// </summary>
public abstract class PendingServiceContractTests(IMocoServiceModule module, ServiceDescriptor service,
    IReadOnlyDictionary<string, string> pending, IReadOnlySet<string>? served = null) : IAsyncLifetime
{
    private readonly IReadOnlySet<string> _served = served ?? new HashSet<string>();
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _host = await LoopbackHost.StartAsync(module);
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress);
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>Pending and served RPCs together are exactly the contract's RPCs.</summary>
    [Fact]
    public void Every_rpc_of_the_contract_is_either_served_or_declared_pending()
    {
        var contract = service.Methods.Select(m => m.Name).Order().ToList();
        Assert.Equal(contract, pending.Keys.Concat(_served).Order().ToList());
        Assert.Empty(pending.Keys.Intersect(_served));
    }

    /// <summary>Every pending RPC answers UNIMPLEMENTED naming itself and its missing capability.</summary>
    [Fact]
    public async Task Every_pending_rpc_answers_unimplemented_naming_what_it_needs()
    {
        foreach (var method in service.Methods.Where(m => pending.ContainsKey(m.Name)))
        {
            var status = await RawCalls.CallEmptyAsync(_channel.CreateCallInvoker(), method);
            Assert.True(status.StatusCode == StatusCode.Unimplemented, $"{method.Name}: {status.StatusCode} {status.Detail}");
            Assert.StartsWith($"{service.FullName}/{method.Name} is not implemented", status.Detail);
            Assert.Contains(pending[method.Name], status.Detail);
        }
    }

    /// <summary>grpc.health.v1 reports the service SERVING.</summary>
    [Fact]
    public async Task Health_reports_the_service_serving()
    {
        var reply = await new Health.HealthClient(_channel).CheckAsync(new HealthCheckRequest { Service = service.FullName });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
