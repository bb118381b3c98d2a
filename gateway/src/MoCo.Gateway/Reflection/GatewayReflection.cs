using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using Grpc.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Gateway.Security;

namespace MoCo.Gateway.Reflection;

/// <summary>
/// grpc.reflection v1 and v1alpha over the contracts the caller compiled (the moco.v1 files) plus the gateway's
/// own health and reflection services. Reflection cannot be forwarded: every backend answers the same path with
/// only its own service. The standard ASP.NET Core reflection lists mapped gRPC services, and the moco.v1
/// services are proxy routes here, so the services are built from descriptors instead.
/// </summary>
internal static class GatewayReflection
{
    public static void AddGatewayReflection(this IServiceCollection services, IEnumerable<FileDescriptor> contracts)
    {
        var files = contracts
            .Append(HealthReflection.Descriptor)
            .Append(Grpc.Reflection.V1.ReflectionReflection.Descriptor)
            .Append(Grpc.Reflection.V1Alpha.ReflectionReflection.Descriptor)
            .DistinctBy(f => f.Name)
            .ToList();
        var names = files.SelectMany(f => f.Services).Select(s => s.FullName).Distinct().ToList();
        var symbols = SymbolRegistry.FromFiles(files);
        services.AddSingleton(new ReflectionServiceImpl(names, symbols));
        services.AddSingleton(new ReflectionV1ServiceImpl(names, symbols));
    }

    public static void MapGatewayReflection(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<ReflectionServiceImpl>().RequireBearerToken();
        endpoints.MapGrpcService<ReflectionV1ServiceImpl>().RequireBearerToken();
    }
}
