namespace MoCo.Orchestrator.Config;

/// <summary>How much a problem matters: an error makes the config invalid (exit 2); a warning is printed and the
/// run goes on; a notice tells what the validator decided (e.g. task_type taken from the dataset).</summary>
public enum ProblemSeverity
{
    /// <summary>Invalid config.</summary>
    Error,
    /// <summary>Valid, but worth a look.</summary>
    Warning,
    /// <summary>Information only.</summary>
    Notice,
}

/// <summary>One problem of a config (config-and-cli.md §1.5): code, key path, 1-based line and column (0 = none),
/// what was found and what is allowed, and the fix.</summary>
public sealed record ConfigProblem(string Code, string Path, int Line, int Column, string Message, string Fix,
    ProblemSeverity Severity = ProblemSeverity.Error)
{
    /// <summary>The §1.5 text: `file:line:col: path: message [code]` then `  fix: …`.</summary>
    public string Format(string file)
    {
        var location = Line > 0 ? $"{file}:{Line}:{Column}" : file;
        var where = Path.Length > 0 ? $"{location}: {Path}" : location;
        var code = Code.Length > 0 ? $" [{Code}]" : "";
        var head = Severity switch
        {
            ProblemSeverity.Warning => "warning: ",
            ProblemSeverity.Notice => "note: ",
            _ => "",
        };
        var text = $"{head}{where}: {Message}{code}";
        return Fix.Length > 0 ? $"{text}\n  fix: {Fix}" : text;
    }
}
