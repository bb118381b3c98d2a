using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Native;

namespace MoCo.Inference.Serving;

/// <summary>LoadModel and UnloadModel (contracts.md §4) over the registry.</summary>
public sealed class ModelCalls(ModelRegistry registry, MocoContext context)
{
    /// <summary>Makes the model resident on this replica's device.</summary>
    /// <exception cref="RpcException">NOT_FOUND; INVALID_ARGUMENT for another device; RESOURCE_EXHAUSTED over the budget.</exception>
    public LoadModelResponse Load(LoadModelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Device is { } device && device != context.Device)
        {
            throw MocoErrors.InvalidArgument(new Problem("device", "INVALID_VALUE",
                $"this replica runs models on {context.Device}; device {device} was asked for",
                new Dictionary<string, string> { ["fix"] = "leave device unset, or send the call to a replica serving that device" }));
        }
        return new LoadModelResponse { Summary = registry.Load(request.Model, request.Preload) };
    }

    /// <summary>Unloads the model (a no-op when it is not resident).</summary>
    public UnloadModelResponse Unload(UnloadModelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        registry.Unload(request.Model);
        return new UnloadModelResponse();
    }
}
