namespace MoCo.Orchestrator.Methods;

/// <summary>The particle-swarm keys shared by text_heterogeneous_swarms and weight_dare_ties (config-and-cli.md §1.3
/// "PSO keys"); patience and restart_patience below 2 crash the reference, so MoCo.NET rejects them.</summary>
internal static class PsoKeys
{
    public static IReadOnlyList<ParamSpec> All { get; } =
    [
        P.Enum("starting_velocity_mode", "random", "random", "zero"),
        P.Bool("weight_randomness", true),
        P.Num("inertia", 0.2),
        P.Num("cognitive_coeff", 0.3),
        P.Num("social_coeff", 0.4),
        P.Num("repel_coeff", 0.05),
        P.Bool("repel_term", true),
        P.Num("step_length", 0.5, min: 0, minExclusive: true),
        P.Num("step_length_factor", 0.95, min: 0, minExclusive: true),
        P.Num("minimum_step_length", 0.1, min: 0),
        P.Int("patience", 5, min: 2),
        P.Int("restart_patience", 3, min: 2),
    ];
}
