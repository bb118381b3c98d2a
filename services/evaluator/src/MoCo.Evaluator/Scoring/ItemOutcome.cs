using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Scoring;

/// <summary>What scoring one item produced before grouping: a score or an error (never both), the parsed
/// output kept for inspection, flags and details.</summary>
public sealed record ItemOutcome
{
    /// <summary>The item's own score; null when unscorable (an error) or extract-only.</summary>
    public double? Score { get; init; }

    /// <summary>Parsed output (MC letter, extracted answer, code, raw output); null = nothing parsed.</summary>
    public string? Parsed { get; init; }

    /// <summary>Item flags (<see cref="ItemFlags"/>).</summary>
    public List<string> Flags { get; init; } = [];

    /// <summary>Sandbox, judge or reward details; null = none.</summary>
    public ItemDetail? Detail { get; init; }

    /// <summary>Set on an item error (judge or infrastructure failure): no score, counted in n_errors.</summary>
    public Google.Rpc.Status? Error { get; init; }

    /// <summary>Scored 0.0 because the gold is unusable (counted in n_invalid_gold).</summary>
    public bool InvalidGold => Flags.Contains(ItemFlags.InvalidGold);

    /// <summary>A scored outcome.</summary>
    public static ItemOutcome Scored(double score, string? parsed, params IEnumerable<string> flags) =>
        new() { Score = score, Parsed = parsed, Flags = [.. flags] };

    /// <summary>An extract-only outcome: parsed, no score.</summary>
    public static ItemOutcome ExtractedOnly(string? parsed) => new() { Parsed = parsed };

    /// <summary>An item error.</summary>
    public static ItemOutcome Failed(Google.Rpc.Status error, string? parsed = null, params IEnumerable<string> flags) =>
        new() { Error = error, Parsed = parsed, Flags = [.. flags] };
}
