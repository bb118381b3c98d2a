using Grpc.Core;

namespace MoCo.Hosting.Errors;

/// <summary>
/// Turns a library's own exception type into a gRPC error (e.g. the native engine's status codes into
/// INVALID_ARGUMENT / RESOURCE_EXHAUSTED), so service code can let it propagate. Register implementations in DI;
/// the first that returns non-null wins. Unmapped exceptions become INTERNAL.
/// </summary>
public interface IExceptionStatusMapper
{
    /// <summary>The gRPC error for <paramref name="exception"/>, or null when this mapper does not know it.</summary>
    RpcException? Map(Exception exception);
}
