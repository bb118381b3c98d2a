namespace MoCo.Orchestrator.Config;

/// <summary>The run-wide compatibility mode (config-and-cli.md §1.1 `compat`).</summary>
public enum CompatMode
{
    /// <summary>`moco`: every reference defect fixed (the default).</summary>
    Moco,
    /// <summary>`reference`: every result-changing reference quirk reproduced.</summary>
    Reference,
}

/// <summary>Wire names of <see cref="CompatMode"/>.</summary>
public static class CompatModeNames
{
    /// <summary>"moco" or "reference".</summary>
    public static string Name(this CompatMode mode) => mode == CompatMode.Reference ? "reference" : "moco";
}
