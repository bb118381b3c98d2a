namespace MoCo.Gateway.Configuration;

/// <summary>
/// Inference replicas in named groups. A call whose <c>moco-model</c> header names a model listed by a group goes
/// to that group; any other call (no header, a model no group lists, a model made at run time) goes to
/// <see cref="DefaultGroup"/>, unless its <c>moco-replica</c> header pins it to a replica (contracts.md §9).
/// Models are listed per group rather than as a model → group map because model names are configuration
/// values, not keys: keys are case-insensitive and ':' separates them, and names such as "llama3:8b" contain it.
/// </summary>
public sealed class InferenceBackendOptions
{
    /// <summary>The group receiving calls for models no group lists. Default "default".</summary>
    public string DefaultGroup { get; set; } = "default";

    /// <summary>Groups by name (letters, digits, '-', '_' and '.').</summary>
    public Dictionary<string, ReplicaGroupOptions> Groups { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Replicas that serve the same set of models.</summary>
public sealed class ReplicaGroupOptions
{
    /// <summary>Model names, matched exactly (case-sensitive) against the <c>moco-model</c> header. A model belongs to one group.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>The group's replicas.</summary>
    public List<ReplicaOptions> Replicas { get; set; } = [];
}
