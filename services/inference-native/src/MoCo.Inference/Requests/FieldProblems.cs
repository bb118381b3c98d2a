using MoCo.Hosting.Errors;

namespace MoCo.Inference.Requests;

/// <summary>Collects every problem of a request before answering, since INVALID_ARGUMENT lists them all (contracts.md §8).</summary>
public sealed class FieldProblems
{
    private readonly List<Problem> _problems = [];

    /// <summary>The problems found so far.</summary>
    public IReadOnlyList<Problem> All => _problems;

    /// <summary>A value outside its range or allowed set (reason INVALID_VALUE).</summary>
    public void Invalid(string field, string description) => _problems.Add(new Problem(field, "INVALID_VALUE", description));

    /// <summary>A required field left unset or empty (reason MISSING_FIELD).</summary>
    public void Missing(string field, string description) => _problems.Add(new Problem(field, "MISSING_FIELD", description));

    /// <summary>Adds a problem with its own reason.</summary>
    public void Add(Problem problem) => _problems.Add(problem);

    /// <summary>Throws INVALID_ARGUMENT listing every problem, if any.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT.</exception>
    public void ThrowIfAny()
    {
        if (_problems.Count > 0)
        {
            throw MocoErrors.InvalidArgument([.. _problems]);
        }
    }
}
