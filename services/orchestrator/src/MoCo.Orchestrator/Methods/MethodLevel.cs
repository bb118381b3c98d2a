namespace MoCo.Orchestrator.Methods;

/// <summary>Where a method collaborates (architecture.md): the single-model baseline, or one of the four levels.</summary>
public enum MethodLevel
{
    /// <summary>single_model: one model alone.</summary>
    Single,
    /// <summary>API level: routing, cascades, deferral, token-level switching (router service).</summary>
    Api,
    /// <summary>Text level: debate, refinement, voting, fusion of answers.</summary>
    Text,
    /// <summary>Logit level: mixing next-token distributions while decoding.</summary>
    Logit,
    /// <summary>Weight level: merging parameters.</summary>
    Weight,
}

/// <summary>Wire names of <see cref="MethodLevel"/>.</summary>
public static class MethodLevelNames
{
    /// <summary>"single", "api", "text", "logit" or "weight".</summary>
    public static string Name(this MethodLevel level) => level.ToString().ToLowerInvariant();
}
