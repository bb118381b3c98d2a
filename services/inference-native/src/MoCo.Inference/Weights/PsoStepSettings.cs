using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Native;

namespace MoCo.Inference.Weights;

/// <summary>M11's coefficients: v′ = a·v + b·(p − x) + c·(g − x) + d·(x − w), x′ = x + step·v′.</summary>
public sealed record PsoCoefficients(float A, float B, float C, float D, float Step);

/// <summary>A PSO_STEP request checked (contracts.md §4 Merge, methods-logit-weight.md M11).</summary>
/// <param name="X">The position model: its config, tokenizer and tensor list go to both outputs.</param>
/// <param name="Others">v, p, g, w in that order, each with the request field that names it.</param>
/// <param name="Coefficients">The step's coefficients.</param>
/// <param name="OutputId">Id of x′.</param>
/// <param name="VelocityId">Id of v′.</param>
/// <param name="OutputDtype">Requested dtype of both outputs, or null for x's storage dtype.</param>
public sealed record PsoStepSettings(MergeSource X, IReadOnlyList<(string Field, MergeSource Source)> Others, PsoCoefficients Coefficients,
    string OutputId, string VelocityId, MocoDtype? OutputDtype)
{
    private const string Field = "params.pso_step";

    /// <summary>Validates <paramref name="request"/>; <paramref name="resolve"/> maps a model name and its field to its folder.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the field; NOT_FOUND from <paramref name="resolve"/>.</exception>
    public static PsoStepSettings From(MergeRequest request, Func<string, string, string> resolve)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(resolve);
        if (request.Inputs.Count > 0)
        {
            throw Invalid("inputs", "INVALID_VALUE", "PSO_STEP takes its five models in params.pso_step, not in inputs");
        }
        if (request.BaseModel is not null)
        {
            throw Invalid("base_model", "INVALID_VALUE", "PSO_STEP takes no base_model");
        }
        var pso = request.Params?.PsoStep ?? throw Invalid(Field, "MISSING_FIELD", "PSO_STEP needs params.pso_step (x, v, p, g, w, a, b, c, d, step)");
        var models = new[] { ("x", pso.X), ("v", pso.V), ("p", pso.P), ("g", pso.G), ("w", pso.W) };
        var coefficients = new[] { ("a", pso.A), ("b", pso.B), ("c", pso.C), ("d", pso.D), ("step", pso.Step) };
        var problems = models.Where(m => string.IsNullOrEmpty(m.Item2)).Select(m => new Problem($"{Field}.{m.Item1}", "MISSING_FIELD", $"name the {m.Item1} model"))
            .Concat(coefficients.Where(c => c.Item2 is not { } v || !float.IsFinite((float)v))
                .Select(c => new Problem($"{Field}.{c.Item1}", c.Item2 is null ? "MISSING_FIELD" : "INVALID_VALUE", $"{c.Item1} must be a number finite in f32, the kernel's precision")))
            .ToList();
        if (problems.Count > 0)
        {
            throw MocoErrors.InvalidArgument([.. problems]);
        }
        var sources = models.Select((m, i) => new MergeSource(m.Item2, resolve(m.Item2, $"{Field}.{m.Item1}"), 1f, 1.0, i)).ToList();
        var outputId = MergeSettings.DeriveId(request, "");
        var velocityId = pso.VelocityOutputId ?? MergeSettings.DeriveId(request, "velocity");
        if (velocityId == outputId)
        {
            throw Invalid($"{Field}.velocity_output_id", "INVALID_VALUE", $"'{velocityId}' is also output_id; x′ and v′ need two ids");
        }
        var c = coefficients.Select(k => (float)k.Item2!.Value).ToArray();
        return new PsoStepSettings(sources[0], [.. sources.Skip(1).Select((s, i) => ($"{Field}.{models[i + 1].Item1}", s))],
            new PsoCoefficients(c[0], c[1], c[2], c[3], c[4]), outputId, velocityId, MergeSettings.Dtype(request.OutputDtype));
    }

    private static Grpc.Core.RpcException Invalid(string field, string reason, string what) => MocoErrors.InvalidArgument(new Problem(field, reason, what));
}
