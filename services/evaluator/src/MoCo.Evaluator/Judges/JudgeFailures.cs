using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using MoCo.Evaluator.Errors;
using Status = Google.Rpc.Status;

namespace MoCo.Evaluator.Judges;

/// <summary>
/// Turns a failed inference call into the error of the item it was scoring (evaluation.md §2.11 n_errors) — never a
/// score. An inference service that cannot run the call yet (UNIMPLEMENTED) or has lost the model becomes
/// FAILED_PRECONDITION naming the judge model, its config key and what is needed; an over-long conversation is
/// INVALID_ARGUMENT; an unreachable service is UNAVAILABLE.
/// </summary>
public static class JudgeFailures
{
    /// <summary>The item error for <paramref name="error"/> from <paramref name="rpc"/> on <paramref name="model"/>.</summary>
    public static Status ToItemError(RpcException error, JudgeRole role, string model, string rpc, string address, string taskType)
    {
        var detail = error.Status.Detail;
        return error.StatusCode switch
        {
            StatusCode.Unimplemented => Item(StatusCode.FailedPrecondition, Reasons.JudgeMissing,
                $"{taskType} needs the {role.Name} '{model}' ({role.ConfigKey}) to run InferenceService.{rpc}, which the inference service at {address} does not implement yet: {detail}",
                $"serve '{model}' from an inference service with a working {rpc}, or set {role.ConfigKey} to a model it can run", role, model),
            StatusCode.NotFound => Item(StatusCode.FailedPrecondition, Reasons.JudgeMissing,
                $"{taskType} needs the {role.Name} '{model}' ({role.ConfigKey}), which the inference service at {address} does not have: {detail}",
                $"add '{model}' to the model catalogue (moco models pull-from-dir), or set {role.ConfigKey}", role, model),
            StatusCode.InvalidArgument => Item(StatusCode.InvalidArgument, Reasons.PromptTooLong,
                $"the {role.Name} '{model}' refused the item (never truncated): {detail}", "this item cannot be scored by this model", role, model),
            StatusCode.Unavailable => Item(StatusCode.Unavailable, "UNAVAILABLE",
                $"the inference service at {address} is unreachable for the {role.Name} '{model}': {detail}",
                "start the inference service, or point Moco:Evaluator:InferenceAddress at it", role, model),
            _ => Item(error.StatusCode, "JUDGE_FAILED", $"the {role.Name} '{model}' failed in InferenceService.{rpc}: {error.StatusCode} {detail}",
                "see the inference service's log", role, model),
        };
    }

    /// <summary>Whether every later call of the same Evaluate would fail the same way (the RPC is not built or the
    /// model is gone), so the remaining items get this error without another call.</summary>
    public static bool IsPermanent(RpcException error) => error.StatusCode is StatusCode.Unimplemented or StatusCode.NotFound;

    /// <summary>An item error with an ErrorInfo naming the model and config key.</summary>
    public static Status Item(StatusCode code, string reason, string message, string fix, JudgeRole role, string model)
    {
        var status = new Status { Code = (int)code, Message = $"{message} (fix: {fix})" };
        var info = new ErrorInfo { Domain = Hosting.Errors.MocoErrors.Domain, Reason = reason };
        info.Metadata["model"] = model;
        info.Metadata["key"] = role.ConfigKey;
        info.Metadata["fix"] = fix;
        status.Details.Add(Any.Pack(info));
        return status;
    }
}
