using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Serving;

/// <summary>The errors of the serving path (contracts.md §8), each naming the model and what to do.</summary>
public static class ServingErrors
{
    /// <summary>RESOURCE_EXHAUSTED QUEUE_FULL.</summary>
    public static RpcException QueueFull(string model, int limit) =>
        MocoErrors.Create(StatusCode.ResourceExhausted, $"model '{model}' is busy",
            new Problem("model", "QUEUE_FULL", $"{limit} requests already wait for model '{model}'",
                new Dictionary<string, string> { ["model"] = model, ["fix"] = "retry later, or raise Moco:Inference:MaxQueuedRequests" }));

    /// <summary>RESOURCE_EXHAUSTED OUT_OF_MEMORY: one request needs more KV blocks or sequences than the whole cache has.</summary>
    public static RpcException TooLargeForCache(string model, int blocks, int totalBlocks, int blockTokens, int sequences, int maxSequences) =>
        MocoErrors.Create(StatusCode.ResourceExhausted, $"the request does not fit the KV cache of model '{model}'",
            new Problem("model", "OUT_OF_MEMORY",
                $"it needs {blocks} blocks of {blockTokens} tokens and {sequences} sequences; the cache has {totalBlocks} blocks and {maxSequences} sequences",
                new Dictionary<string, string> { ["model"] = model, ["fix"] = "ask for fewer samples or new tokens, or raise Moco:Inference:KvCacheTokens / MaxSequences" }));

    /// <summary>UNAVAILABLE: the model was unloaded while the request waited or ran.</summary>
    public static RpcException Unloaded(string model) =>
        MocoErrors.Create(StatusCode.Unavailable, $"model '{model}' was unloaded",
            new Problem("model", "MODEL_UNLOADED", $"model '{model}' was unloaded while the request waited or ran",
                new Dictionary<string, string> { ["model"] = model, ["fix"] = "retry: the model is loaded again on use" }));

    /// <summary>The caller's cancel, or its deadline when that has passed; <paramref name="consequence"/> says what the
    /// server undid ("the generation was stopped and its KV blocks freed").</summary>
    public static RpcException Cancelled(ServerCallContext context, string consequence) => context.Deadline <= DateTime.UtcNow
        ? new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline passed; " + consequence))
        : new RpcException(new Status(StatusCode.Cancelled, "the caller cancelled; " + consequence));

    /// <summary>The error a call fails with when the model is the wrong kind for it.</summary>
    public static RpcException WrongKind(StatusCode code, string model, string kind, string field, string what) =>
        MocoErrors.Create(code, $"model '{model}' is a {kind}",
            new Problem(field, "WRONG_MODEL_KIND", $"model '{model}' is a {kind}; {what}",
                new Dictionary<string, string> { ["model"] = model, ["kind"] = kind }));

    /// <summary>The status a failed job reports: an RpcException as it is, a libmoco error by its status, anything else INTERNAL.</summary>
    public static RpcException From(Exception error) => error switch
    {
        RpcException rpc => rpc,
        Native.MocoException native => NativeStatusMapper.ToRpc(native),
        _ => MocoErrors.Create(StatusCode.Internal, "the request failed inside the scheduler",
            new Problem("model", "ENGINE_INTERNAL", $"{error.GetType().Name}: {error.Message}")),
    };
}
