using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Serving;

/// <summary>The per-sequence errors of a Decode stream (contracts.md §4): each is a SeqResult, never the stream's end.</summary>
public static class DecodeErrors
{
    /// <summary>The error result of op <paramref name="tag"/> on <paramref name="seqId"/>.</summary>
    public static SeqResult Result(string seqId, ulong tag, Exception error)
    {
        var rpc = ServingErrors.From(error);
        return new SeqResult
        {
            SeqId = seqId,
            Tag = tag,
            Error = rpc.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)rpc.StatusCode, Message = rpc.Status.Detail },
        };
    }

    /// <summary>NOT_FOUND UNKNOWN_SEQUENCE: no open sequence has the id.</summary>
    public static RpcException UnknownSequence(string seqId, string field) =>
        MocoErrors.Create(StatusCode.NotFound, $"no open sequence '{seqId}' in this stream",
            new Problem(field, "UNKNOWN_SEQUENCE", $"sequence '{seqId}' was never opened in this stream, failed to open, or was closed",
                new Dictionary<string, string> { ["fix"] = "open the sequence (or fork it) before sending ops for it" }));

    /// <summary>INVALID_ARGUMENT SEQ_ID_IN_USE: an open or fork names an id the stream already uses.</summary>
    public static RpcException InUse(string seqId, string field) =>
        MocoErrors.InvalidArgument(new Problem(field, "SEQ_ID_IN_USE", $"sequence id '{seqId}' is already used in this stream",
            new Dictionary<string, string> { ["fix"] = "choose an id that is unique in the stream, or close the old sequence first" }));

    /// <summary>OUT_OF_RANGE CONTEXT_FULL: the op would take the sequence past the model's context.</summary>
    public static RpcException ContextFull(string model, string field, int length, int context) =>
        MocoErrors.Create(StatusCode.OutOfRange, $"the sequence would exceed the context of model '{model}'",
            new Problem(field, "CONTEXT_FULL", $"the sequence would hold {length} tokens; model '{model}' has a context of {context}",
                new Dictionary<string, string> { ["model"] = model, ["fix"] = "truncate the sequence or open a shorter one" }));

    /// <summary>INVALID_ARGUMENT MISSING_FIELD: an op without its oneof set.</summary>
    public static RpcException NoOp(string field) =>
        MocoErrors.InvalidArgument(new Problem(field, "MISSING_FIELD", "the op sets none of open, append, truncate, fork, close"));
}
