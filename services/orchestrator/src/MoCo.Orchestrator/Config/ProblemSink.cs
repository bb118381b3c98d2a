namespace MoCo.Orchestrator.Config;

/// <summary>Collects the problems of one validation, placing each at its key path's line and column: value problems
/// at the value, unknown keys at the key (config-and-cli.md §1.5 examples).</summary>
public sealed class ProblemSink(ConfigDocument document, bool allowUnknownKeys)
{
    private readonly List<ConfigProblem> _problems = [];

    /// <summary>The document the paths refer to.</summary>
    public ConfigDocument Document { get; } = document;

    /// <summary>Every problem so far, in the order found.</summary>
    public IReadOnlyList<ConfigProblem> Problems => _problems;

    /// <summary>True when an error (not a warning) has been reported under <paramref name="path"/> or its children.</summary>
    public bool HasErrorAt(string path) => _problems.Any(p => p.Severity == ProblemSeverity.Error
        && (p.Path == path || p.Path.StartsWith(path + ".", StringComparison.Ordinal) || p.Path.StartsWith(path + "[", StringComparison.Ordinal)));

    /// <summary>An error about the value at <paramref name="path"/>.</summary>
    public void Error(string code, string path, string message, string fix) => Add(code, path, message, fix, ProblemSeverity.Error, atKey: false);

    /// <summary>A warning about the key at <paramref name="path"/>.</summary>
    public void Warning(string code, string path, string message, string fix) => Add(code, path, message, fix, ProblemSeverity.Warning, atKey: true);

    /// <summary>A notice (no code) about <paramref name="path"/>.</summary>
    public void Notice(string path, string message) => Add("", path, message, "", ProblemSeverity.Notice, atKey: true);

    /// <summary>An unknown key: CFG005, a warning under --allow-unknown-keys.</summary>
    public void UnknownKey(string path, string message, string fix) =>
        Add(ConfigCodes.UnknownKey, path, message, fix, allowUnknownKeys ? ProblemSeverity.Warning : ProblemSeverity.Error, atKey: true);

    /// <summary>CFG002 for key <paramref name="key"/> missing from the object at <paramref name="parent"/> (empty = the
    /// root). It has no position of its own, so the §1.5 shape prints the file name alone.</summary>
    public void Missing(string parent, string key, string message, string fix) =>
        _problems.Add(new ConfigProblem(ConfigCodes.Missing, parent, 0, 0, message.Length > 0 ? message : $"missing required key \"{key}\"", fix));

    /// <summary>A problem placed by the caller.</summary>
    public void Add(ConfigProblem problem) => _problems.Add(problem);

    private void Add(string code, string path, string message, string fix, ProblemSeverity severity, bool atKey)
    {
        var (line, column) = atKey ? Document.KeyAt(path) : Document.ValueAt(path);
        _problems.Add(new ConfigProblem(code, path, line, column, message, fix, severity));
    }
}
