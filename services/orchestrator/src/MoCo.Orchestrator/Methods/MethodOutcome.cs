using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods;

/// <summary>
/// What a finished method hands back: the reference summary object with exactly the keys of config-and-cli.md
/// §3.2 in their order (built with <see cref="Logs.ReferenceSummary"/>), without the trailing `moco` object, plus the
/// score and MoCo.NET's method details for that object (e.g. dev scores).
/// </summary>
/// <param name="Summary">The reference summary object, keys in the reference's order.</param>
/// <param name="TestScore">avg_test_score as a number (text_generation's integer 0 included).</param>
/// <param name="TestItems">Test items scored.</param>
/// <param name="MocoDetails">Method details for the log's `moco` object; empty when none.</param>
public sealed record MethodOutcome(JsonObject Summary, double TestScore, int TestItems, JsonObject MocoDetails)
{
    /// <summary>Single-model test scores the method already produced with the config's general keys (config-and-cli.md
    /// §4.3: baselines come from the run when the method has them); the engine computes the others.</summary>
    public IReadOnlyList<ModelBaseline> Baselines { get; init; } = [];
}

/// <summary>One distinct model alone on the test split.</summary>
public sealed record ModelBaseline(string Model, double Test);
