using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Hosting.Errors;

namespace MoCo.Hosting;

/// <summary>
/// A module that serves one gRPC service implementation. The pending map names the RPCs the implementation
/// does not override yet and what each waits on (see <see cref="PendingCapabilities"/>); derived modules
/// add their own registrations in <see cref="ConfigureModule"/>.
/// </summary>
/// <typeparam name="TService">The gRPC service implementation (a generated *Base subclass).</typeparam>
public abstract class GrpcServiceModule<TService>(string name, string grpcServiceName, ServicePorts defaultPorts,
    IReadOnlyDictionary<string, string> pending) : IMocoServiceModule
    where TService : class
{
    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public IReadOnlyList<string> GrpcServiceNames => [grpcServiceName];

    /// <inheritdoc/>
    public ServicePorts DefaultPorts => defaultPorts;

    /// <inheritdoc/>
    public void ConfigureServices(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(new PendingCapabilities().Add(grpcServiceName, pending));
        ConfigureModule(builder);
    }

    /// <inheritdoc/>
    public virtual void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<TService>();

    /// <summary>The module's own registrations (options, stores, readiness checks).</summary>
    protected virtual void ConfigureModule(WebApplicationBuilder builder)
    {
    }
}
