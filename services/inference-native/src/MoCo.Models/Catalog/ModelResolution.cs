namespace MoCo.Models.Catalog;

/// <summary>Where a model name led: the directory (null when nothing matched), the rule that matched, the kind
/// a catalogue entry declares, warnings (a name found relative to both the working directory and the config
/// file), and every place looked at in order — the trace `moco models info` prints and CFG009 lists.</summary>
public sealed record ModelResolution(string Name, string? Directory, string? Rule, string? DeclaredKind, IReadOnlyList<ResolutionTraceStep> Trace)
{
    /// <summary>True when a model directory was found.</summary>
    public bool Found => Directory is not null;

    /// <summary>Notices about an ambiguous match; empty normally.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>One place a resolution looked: the rule, what it looked at, whether it matched, and why not.</summary>
public sealed record ResolutionTraceStep(string Rule, string Candidate, bool Matched = false, string? Note = null)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Rule} {Candidate}{(Matched ? " (matched)" : "")}{(Note is null ? "" : ": " + Note)}";
}

/// <summary>CFG009: a model name found nowhere (every place searched listed) or naming a directory that is not a
/// model, or a catalogue entry whose declared kind differs from what its directory holds.</summary>
public sealed class ModelNotFoundException : Exception
{
    /// <summary>The config error code of config-and-cli.md §1.5.</summary>
    public const string Code = "CFG009";

    /// <summary>Creates the error for <paramref name="resolution"/>.</summary>
    public ModelNotFoundException(ModelResolution resolution)
        : base(Describe(resolution))
    {
        Resolution = resolution;
    }

    /// <summary>Creates the error with a specific <paramref name="problem"/> (wrong kind, not a model).</summary>
    public ModelNotFoundException(ModelResolution resolution, string problem)
        : base($"model '{resolution.Name}': {problem} [{Code}]")
    {
        Resolution = resolution;
    }

    /// <summary>The failed resolution with its trace.</summary>
    public ModelResolution Resolution { get; }

    private static string Describe(ModelResolution resolution)
    {
        var notModel = resolution.Trace.FirstOrDefault(s => s.Note == ResolutionNotes.NotAModel);
        var head = notModel is not null
            ? $"model '{resolution.Name}': {notModel.Candidate} is a directory but not a model (it has neither {ModelDirectory.Expected})"
            : $"model '{resolution.Name}' not found in path, catalogue, models dir, HF cache, zoo";
        return $"{head} [{Code}]; searched:{string.Concat(resolution.Trace.Select(s => "\n  " + s))}";
    }
}

/// <summary>Trace notes shared by the resolver and its errors.</summary>
internal static class ResolutionNotes
{
    public const string NotAModel = "a directory, but not a model";
}
