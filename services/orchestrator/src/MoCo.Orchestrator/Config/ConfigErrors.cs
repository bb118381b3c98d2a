using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Orchestrator.Config;

/// <summary>An invalid config as the rich gRPC error of contracts.md §8 (StartRun): INVALID_ARGUMENT with one
/// BadRequest violation and one ErrorInfo per problem, reason = the CFG code, metadata line, column and fix.</summary>
public static class ConfigErrors
{
    /// <summary>The error for the errors of <paramref name="result"/>.</summary>
    public static RpcException ToRpcException(ValidationResult result)
    {
        var problems = result.Errors.Select(p => new Problem(p.Path, p.Code, p.Message, new Dictionary<string, string>
        {
            ["line"] = p.Line.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["column"] = p.Column.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["fix"] = p.Fix,
            ["key"] = p.Path,
        })).ToArray();
        return MocoErrors.Create(StatusCode.InvalidArgument, $"{result.File}: invalid config ({problems.Length} problem{(problems.Length == 1 ? "" : "s")})", problems);
    }
}
