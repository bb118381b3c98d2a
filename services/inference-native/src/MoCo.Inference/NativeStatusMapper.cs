using Grpc.Core;
using MoCo.Hosting.Errors;
using MoCo.Native;

namespace MoCo.Inference;

/// <summary>libmoco status codes as gRPC errors (contracts.md §8), keeping the engine's message, which names the
/// argument and the fix.</summary>
internal sealed class NativeStatusMapper : IExceptionStatusMapper
{
    public RpcException? Map(Exception exception) => exception is MocoException e ? ToRpc(e) : null;

    /// <summary>The gRPC error of a libmoco failure.</summary>
    public static RpcException ToRpc(MocoException e)
    {
        var (code, reason) = e.Status switch
        {
            MocoStatus.InvalidArgument => (StatusCode.InvalidArgument, "INVALID_ARGUMENT"),
            MocoStatus.NotFound => (StatusCode.NotFound, "NOT_FOUND"),
            MocoStatus.OutOfMemory => (StatusCode.ResourceExhausted, "OUT_OF_MEMORY"),
            MocoStatus.ResourceExhausted => (StatusCode.ResourceExhausted, "RESOURCE_EXHAUSTED"),
            MocoStatus.Numeric => (StatusCode.Internal, "NUMERIC"),
            MocoStatus.Io => (StatusCode.Unavailable, "IO"),
            MocoStatus.Unimplemented => (StatusCode.Unimplemented, "NOT_IMPLEMENTED"),
            _ => (StatusCode.Internal, "ENGINE_INTERNAL"),
        };
        return MocoErrors.Create(code, "native engine error", new Problem("engine", reason, e.Message));
    }
}
