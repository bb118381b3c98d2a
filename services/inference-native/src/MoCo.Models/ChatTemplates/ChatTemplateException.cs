namespace MoCo.Models.ChatTemplates;

/// <summary>What went wrong with a chat template.</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template is not valid Jinja (an unclosed tag, an unexpected token).</summary>
    Syntax,
    /// <summary>The template uses a Jinja construct, filter, test or method this renderer does not implement; <see cref="ChatTemplateException.Feature"/> names it.</summary>
    Unsupported,
    /// <summary>The template called <c>raise_exception(message)</c>, as templates do to reject a conversation (e.g. a system turn a model cannot take).</summary>
    Raised,
    /// <summary>Rendering failed as jinja2 would fail: an undefined value used, a type error, a sandbox violation.</summary>
    Runtime,
}

/// <summary>
/// A chat template could not be parsed or rendered. The message names the template, the line and, for
/// unsupported features, the feature, so a user can tell a broken template from a limit of this renderer.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChatTemplateException(ChatTemplateErrorKind kind, string problem, int line = 0, string? feature = null, string template = "chat_template")
        : base(Describe(kind, problem, line, template))
    {
        Kind = kind;
        Problem = problem;
        Line = line;
        Feature = feature;
        Template = template;
    }

    /// <summary>What kind of failure this is.</summary>
    public ChatTemplateErrorKind Kind { get; }

    /// <summary>The failure without the template and line prefix; for <see cref="ChatTemplateErrorKind.Raised"/> exactly the template's message.</summary>
    public string Problem { get; }

    /// <summary>The 1-based template line, 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The unsupported construct, filter, test or method, for <see cref="ChatTemplateErrorKind.Unsupported"/>.</summary>
    public string? Feature { get; }

    /// <summary>The template's name (usually the file it came from).</summary>
    public string Template { get; }

    /// <summary>The same failure attributed to <paramref name="template"/> at <paramref name="line"/> where it had none.</summary>
    internal ChatTemplateException At(string template, int line) =>
        Template == template && Line != 0 ? this : new ChatTemplateException(Kind, Problem, Line == 0 ? line : Line, Feature, template);

    private static string Describe(ChatTemplateErrorKind kind, string problem, int line, string template)
    {
        var where = line > 0 ? $"{template} line {line}" : template;
        return kind switch
        {
            ChatTemplateErrorKind.Raised => $"{where}: the template rejected the conversation: {problem}",
            ChatTemplateErrorKind.Unsupported => $"{where}: not supported by the MoCo chat-template renderer: {problem}",
            ChatTemplateErrorKind.Syntax => $"{where}: template syntax error: {problem}",
            _ => $"{where}: {problem}",
        };
    }
}
