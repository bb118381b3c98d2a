using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>The merge kernels a weight-level method asks for (methods-logit-weight.md §1.2, M7 table).</summary>
public enum MergeKind
{
    /// <summary>M1/M2 weighted average (no base).</summary>
    Linear,

    /// <summary>M3 + M6 without consensus.</summary>
    TaskArithmetic,

    /// <summary>M3 + M4 + M6.</summary>
    Ties,

    /// <summary>M3 + M5 + M6.</summary>
    DareTies,

    /// <summary>M8: inputs = [target], base = source.</summary>
    Extrapolate,

    /// <summary>M10: A' = Σ w_i A_i, B' = Σ w_i B_i over LoRA adapters of one base, unnormalised; the output is an adapter
    /// and the inputs stay adapters (never materialised).</summary>
    LoraLinear,
}

/// <summary>One merge input: a model name (as the config writes it) or a run-time id, its weight and keep density
/// (null = the kernel's default).</summary>
public sealed record MergeInput(string Model, double? Weight = null, double? Density = null);

/// <summary>One Merge call. Unset parameters take the M7 defaults of <paramref name="Kind"/>.</summary>
/// <param name="Kind">The kernel.</param>
/// <param name="Inputs">Inputs in order (config and tokenizer come from the base, else the first input).</param>
/// <param name="BaseModel">Base of the task-vector methods, source of Extrapolate; null = none.</param>
public sealed record MergeCall(MergeKind Kind, IReadOnlyList<MergeInput> Inputs, string? BaseModel = null)
{
    /// <summary>M1/M6 normalisation; null = the method's default.</summary>
    public bool? Normalize { get; init; }

    /// <summary>M6 λ; null = 1.0.</summary>
    public double? Lambda { get; init; }

    /// <summary>M5 rescaling (`l1`, `inverse_density`, `none`); null = `l1`.</summary>
    public string? Rescale { get; init; }

    /// <summary>M8 α (required by Extrapolate).</summary>
    public double? Alpha { get; init; }

    /// <summary>Apply M12 (softmax) to the input weights first.</summary>
    public bool WeightsSoftmax { get; init; }

    /// <summary>The call's content for its call key, with each model replaced by its fingerprint (index-aligned with
    /// <see cref="Inputs"/>; <paramref name="baseFingerprint"/> null when there is no base).</summary>
    public JsonObject Describe(IReadOnlyList<string> fingerprints, string? baseFingerprint, ulong seed) => new()
    {
        ["kind"] = Kind.ToString(),
        ["inputs"] = new JsonArray([.. Inputs.Select((input, i) => (JsonNode)new JsonObject
        {
            ["model"] = fingerprints[i],
            ["weight"] = input.Weight,
            ["density"] = input.Density,
        })]),
        ["base"] = baseFingerprint,
        ["normalize"] = Normalize,
        ["lambda"] = Lambda,
        ["rescale"] = Rescale,
        ["alpha"] = Alpha,
        ["weights_softmax"] = WeightsSoftmax,
        ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>One M11 PSO step over five models of equal tensors (methods-logit-weight.md §1.2): `v' = a·v + b·(p − x) +
/// c·(g − x) + d·(x − w)`, `x' = x + step·v'`, coefficients already normalised by the caller.</summary>
/// <param name="X">Position.</param>
/// <param name="V">Velocity.</param>
/// <param name="P">Personal best.</param>
/// <param name="G">Global best.</param>
/// <param name="W">Global worst.</param>
/// <param name="A">Inertia coefficient.</param>
/// <param name="B">Cognitive coefficient.</param>
/// <param name="C">Social coefficient.</param>
/// <param name="D">Repel coefficient.</param>
/// <param name="Step">Step length s.</param>
/// <param name="Adapters">True: the five are LoRA adapters stepped as adapter tensors (model-swarm fast mode); false: an
/// adapter among them is first merged into its base (M9), so the step runs on full weights.</param>
public sealed record PsoStepCall(string X, string V, string P, string G, string W, double A, double B, double C, double D, double Step, bool Adapters)
{
    /// <summary>The five models in the kernel's order x, v, p, g, w.</summary>
    public IReadOnlyList<string> Models => [X, V, P, G, W];

    /// <summary>The call's content for its call key, with each model replaced by its fingerprint (in <see cref="Models"/>
    /// order).</summary>
    public JsonObject Describe(IReadOnlyList<string> fingerprints) => new()
    {
        ["kind"] = "PsoStep",
        ["models"] = new JsonArray([.. fingerprints.Select(f => (JsonNode)JsonValue.Create(f))]),
        ["coefficients"] = new JsonArray(A, B, C, D, Step),
        ["adapters"] = Adapters,
    };
}

/// <summary>The two models a PSO step makes: the new position x' and the new velocity v'.</summary>
public sealed record PsoStepResult(MergedModel Position, MergedModel Velocity);

/// <summary>A merged model made resident by the inference service: its id (usable wherever a model name is, e.g. in
/// Generate) and fingerprint.</summary>
public sealed record MergedModel(string Id, string Fingerprint);

/// <summary>
/// Merge and persistence of weight-level models (methods-logit-weight.md §2.3): Merge runs the kernel where the inputs
/// live and registers a resident model whose id the service derives from the call key, so a repeated or resumed merge
/// returns the same model; only the final model is written to disk.
/// </summary>
public interface IMergeService
{
    /// <summary>Runs <paramref name="call"/> at <paramref name="site"/>; <paramref name="index"/> tells apart merges of
    /// one site (candidate, particle, iteration).</summary>
    Task<MergedModel> MergeAsync(CallSite site, int index, MergeCall call, CancellationToken cancellationToken);

    /// <summary>Runs one M11 step (<paramref name="call"/>) at <paramref name="site"/>; <paramref name="index"/> as in
    /// <see cref="MergeAsync"/>.</summary>
    Task<PsoStepResult> PsoStepAsync(CallSite site, int index, PsoStepCall call, CancellationToken cancellationToken);

    /// <summary>Frees run-time model <paramref name="model"/> (a merge's id) that the method no longer uses, so a search
    /// does not keep every candidate resident (methods-logit-weight.md §2.3: candidates are freed when dropped). A
    /// model already gone is no error.</summary>
    Task ReleaseAsync(string model, CancellationToken cancellationToken);

    /// <summary>Writes model <paramref name="model"/> (a name or run-time id) to artifact folder
    /// <paramref name="artifact"/> (relative to the inference service's artifacts folder, replaced if present).</summary>
    Task PersistAsync(string model, string artifact, CancellationToken cancellationToken);
}
