namespace MoCo.Inference.Models;

/// <summary>Where a model name led: the directory (null when nothing matched), the rule that matched, and
/// every place looked at in order — the trace `moco models info` prints and NOT_FOUND errors list.</summary>
public sealed record ModelResolution(string Name, string? Directory, string? Rule, string? DeclaredKind, IReadOnlyList<ResolutionTraceStep> Trace)
{
    /// <summary>True when a model directory was found.</summary>
    public bool Found => Directory is not null;
}

/// <summary>One place a resolution looked: the rule, what it looked at, whether it matched, and why not.</summary>
public sealed record ResolutionTraceStep(string Rule, string Candidate, bool Matched = false, string? Note = null)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Rule} {Candidate}{(Matched ? " (matched)" : "")}{(Note is null ? "" : ": " + Note)}";
}
