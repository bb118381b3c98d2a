using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Orchestrator.Methods;

/// <summary>A valid method id whose implementation is not in this build: StartRun answers UNIMPLEMENTED naming it
/// (contracts.md §8, CLI exit 4), so a config that will work later validates today but never runs to a fake score.</summary>
public sealed class MethodNotImplementedException(string method)
    : Exception($"method \"{method}\" is not implemented in this build of MoCo.NET")
{
    /// <summary>The method id.</summary>
    public string Method { get; } = method;

    /// <summary>The gRPC error (UNIMPLEMENTED, reason METHOD_NOT_IMPLEMENTED).</summary>
    public RpcException ToRpcException() => MocoErrors.Create(StatusCode.Unimplemented, Message,
        new Problem("method", "METHOD_NOT_IMPLEMENTED", Message, new Dictionary<string, string>
        {
            ["fix"] = "`moco validate --list-methods` shows which methods this build runs",
            ["key"] = "method",
        }));
}
