using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace MoCo.Hosting.Errors;

/// <summary>One problem in a request: the field (request path or config key path, e.g. hyperparameters.top_p),
/// an UPPER_SNAKE reason (or a CFG code), a message saying what is wrong, and optional metadata (fix, model, key…).</summary>
public sealed record Problem(string Field, string Reason, string Description, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>
/// Builds the rich errors of contracts.md §8: a gRPC status whose <c>grpc-status-details-bin</c> holds one
/// google.rpc.BadRequest field violation per problem and one google.rpc.ErrorInfo per problem in the same
/// order, domain "moco.v1". The status message is readable alone: it lists every problem and its fix.
/// </summary>
public static class MocoErrors
{
    /// <summary>ErrorInfo domain of every MoCo.NET error.</summary>
    public const string Domain = "moco.v1";

    /// <summary>An error with one or more problems.</summary>
    public static RpcException Create(StatusCode code, string summary, params Problem[] problems)
    {
        var message = problems.Length == 0 ? summary : summary + ": " + string.Join("; ", problems.Select(Describe));
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        if (problems.Length > 0)
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.Add(problems.Select(p => new BadRequest.Types.FieldViolation { Field = p.Field, Description = p.Description }));
            status.Details.Add(Any.Pack(badRequest));
            foreach (var p in problems)
            {
                var info = new ErrorInfo { Domain = Domain, Reason = p.Reason };
                foreach (var (key, value) in p.Metadata ?? new Dictionary<string, string>())
                {
                    info.Metadata[key] = value;
                }
                status.Details.Add(Any.Pack(info));
            }
        }
        return status.ToRpcException();
    }

    /// <summary>INVALID_ARGUMENT listing every problem of the request.</summary>
    public static RpcException InvalidArgument(params Problem[] problems) =>
        Create(StatusCode.InvalidArgument, "invalid request", problems);

    /// <summary>NOT_FOUND for a named thing (model, run, task, router, view), naming it in the message.</summary>
    public static RpcException NotFound(string field, string reason, string what, string fix, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var all = new Dictionary<string, string> { ["fix"] = fix };
        if (metadata is not null)
        {
            foreach (var (k, v) in metadata)
            {
                all[k] = v;
            }
        }
        return Create(StatusCode.NotFound, what + " not found", new Problem(field, reason, $"{what} not found (fix: {fix})", all));
    }

    /// <summary>UNIMPLEMENTED naming the capability this build lacks, never a fake result.</summary>
    /// <param name="capability">What was asked for, e.g. "InferenceService.Generate".</param>
    /// <param name="missing">What it waits on, e.g. "the native decoder".</param>
    public static RpcException Unimplemented(string capability, string missing) =>
        Create(StatusCode.Unimplemented, $"{capability} is not implemented in MoCo.NET {MocoInfo.Version}: it needs {missing}",
            new Problem(capability, "NOT_IMPLEMENTED", $"{capability} needs {missing}",
                new Dictionary<string, string> { ["capability"] = capability }));

    /// <summary>The ErrorInfo details of a received error, in order; empty when it carries none.</summary>
    public static IReadOnlyList<ErrorInfo> ErrorInfos(RpcException error) =>
        error.GetRpcStatus()?.Details.Where(d => d.Is(ErrorInfo.Descriptor)).Select(d => d.Unpack<ErrorInfo>()).ToList() ?? [];

    /// <summary>The BadRequest field violations of a received error; empty when it carries none.</summary>
    public static IReadOnlyList<BadRequest.Types.FieldViolation> FieldViolations(RpcException error) =>
        error.GetRpcStatus()?.Details.Where(d => d.Is(BadRequest.Descriptor)).SelectMany(d => d.Unpack<BadRequest>().FieldViolations).ToList() ?? [];

    private static string Describe(Problem p) =>
        p.Metadata?.TryGetValue("fix", out var fix) == true && !p.Description.Contains(fix, StringComparison.Ordinal)
            ? $"{p.Field}: {p.Description} (fix: {fix})"
            : $"{p.Field}: {p.Description}";
}
