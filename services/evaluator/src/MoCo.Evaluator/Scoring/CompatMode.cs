using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Scoring;

/// <summary>The run's compatibility switch as scoring sees it (evaluation.md §0): `moco` fixes Q1–Q10,
/// `reference` reproduces them.</summary>
public enum CompatMode
{
    /// <summary>MoCo.NET's fixes (the default).</summary>
    Moco,
    /// <summary>The reference's quirks.</summary>
    Reference,
}

/// <summary>Conversions from the wire enum.</summary>
public static class CompatModes
{
    /// <summary>COMPAT_REFERENCE → Reference; anything else (unset, unknown) → Moco.</summary>
    public static CompatMode From(Compat compat) => compat == Compat.Reference ? CompatMode.Reference : CompatMode.Moco;

    /// <summary>The wire enum of a mode.</summary>
    public static Compat ToWire(this CompatMode mode) => mode == CompatMode.Reference ? Compat.Reference : Compat.Moco;
}
