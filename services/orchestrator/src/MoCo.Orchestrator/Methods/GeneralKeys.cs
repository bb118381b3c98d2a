namespace MoCo.Orchestrator.Methods;

/// <summary>The five general generation keys of config-and-cli.md §1.2, accepted by every method with their shared
/// defaults; a method may override a default or ignore a key (CFGW01).</summary>
public static class GeneralKeys
{
    /// <summary>max_response_length.</summary>
    public const string MaxResponseLength = "max_response_length";
    /// <summary>temperature.</summary>
    public const string Temperature = "temperature";
    /// <summary>top_p.</summary>
    public const string TopP = "top_p";
    /// <summary>batch_size.</summary>
    public const string BatchSize = "batch_size";
    /// <summary>big_model_mode.</summary>
    public const string BigModelMode = "big_model_mode";

    /// <summary>The keys with their shared defaults, in §1.2 order.</summary>
    public static IReadOnlyList<ParamSpec> All { get; } =
    [
        P.Int(MaxResponseLength, 512, min: 1) with { Description = "new tokens per generation" },
        P.Num(Temperature, 0.7, min: 0) with { Description = "sampling temperature; 0 = greedy" },
        P.Num(TopP, 0.9, min: 0, max: 1, minExclusive: true) with { Description = "nucleus sampling mass" },
        P.Int(BatchSize, 32, min: 1) with { Description = "sequences per model per forward (throughput only)" },
        P.Bool(BigModelMode, false) with { Description = "shard one model over the mapped devices" },
    ];

    /// <summary>The names, in §1.2 order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(k => k.Name)];
}
