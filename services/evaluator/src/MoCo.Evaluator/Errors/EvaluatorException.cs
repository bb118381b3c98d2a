using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Errors;

/// <summary>
/// A request the evaluator cannot serve: a gRPC status, a one-line summary and every problem (field, reason,
/// what is wrong and the fix). The library throws it so the CLI can print the problems line by line; the
/// service turns it into the rich error of contracts.md §8 (see <see cref="EvaluatorExceptionMapper"/>).
/// </summary>
public sealed class EvaluatorException(StatusCode code, string summary, IReadOnlyList<Problem> problems)
    : Exception(Describe(summary, problems))
{
    /// <summary>Problems listed in an error's message and details; the rest are counted (evaluation.md §1.3).</summary>
    public const int MaxListedProblems = 20;

    /// <summary>The gRPC status.</summary>
    public StatusCode Code { get; } = code;

    /// <summary>The one-line summary.</summary>
    public string Summary { get; } = summary;

    /// <summary>Every problem, in order.</summary>
    public IReadOnlyList<Problem> Problems { get; } = problems;

    /// <summary>One problem with a fix in its metadata.</summary>
    public static EvaluatorException Single(StatusCode code, string field, string reason, string description, string fix,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var all = new Dictionary<string, string> { ["fix"] = fix };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        return new EvaluatorException(code, description, [new Problem(field, reason, description, all)]);
    }

    /// <summary>The error another MoCo.NET service answered (the sandbox service), with its problems in order, so it
    /// reaches this evaluator's caller as that service worded it.</summary>
    public static EvaluatorException FromRemote(RpcException error)
    {
        var violations = MocoErrors.FieldViolations(error);
        var infos = MocoErrors.ErrorInfos(error);
        var problems = violations.Select((v, i) => new Problem(v.Field, i < infos.Count ? infos[i].Reason : "", v.Description,
            i < infos.Count ? new Dictionary<string, string>(infos[i].Metadata) : null)).ToList();
        var summary = problems.Count == 1 ? problems[0].Description : error.Status.Detail;
        return new EvaluatorException(error.StatusCode, summary, problems);
    }

    /// <summary>The rich gRPC error: BadRequest and ErrorInfo details for the first <see cref="MaxListedProblems"/>
    /// problems plus a count of the rest, and a message with one line per problem.</summary>
    public RpcException ToRpcException()
    {
        var listed = Problems.Take(MaxListedProblems).ToList();
        if (Problems.Count > MaxListedProblems)
        {
            listed.Add(new Problem(Problems[MaxListedProblems].Field, Problems[MaxListedProblems].Reason,
                $"… and {Problems.Count - MaxListedProblems} more"));
        }
        var rich = MocoErrors.Create(Code, Summary, [.. listed]);
        var status = rich.GetRpcStatus()!;
        status.Message = Message;
        return status.ToRpcException();
    }

    private static string Describe(string summary, IReadOnlyList<Problem> problems)
    {
        if (problems.Count == 1 && problems[0].Description == summary)
        {
            return WithFix(problems[0]);
        }
        var lines = problems.Take(MaxListedProblems).Select(WithFix).ToList();
        if (problems.Count > MaxListedProblems)
        {
            lines.Add($"… and {problems.Count - MaxListedProblems} more");
        }
        return lines.Count == 0 ? summary : summary + "\n" + string.Join("\n", lines);
    }

    private static string WithFix(Problem p) =>
        p.Metadata?.TryGetValue("fix", out var fix) == true ? $"{p.Description} (fix: {fix})" : p.Description;
}
