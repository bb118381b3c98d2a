namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>A parsed Jinja template: parse once, render many times with different variables.</summary>
internal sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Node> _body;

    private JinjaTemplate(string name, IReadOnlyList<Node> body)
    {
        Name = name;
        _body = body;
    }

    public string Name { get; }

    /// <exception cref="ChatTemplateException">Syntax or Unsupported, with the line.</exception>
    public static JinjaTemplate Parse(string source, string name) => new(name, JinjaParser.Parse(source, name));

    /// <summary>Renders with <paramref name="variables"/> (host values, converted to Python-like values) over
    /// the globals of <see cref="JinjaGlobals"/>.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime> clock)
    {
        var globals = new JinjaScope(null);
        foreach (var (name, value) in JinjaGlobals.Create(clock))
        {
            globals.Set(name, value);
        }
        var context = new JinjaScope(globals);
        foreach (var (name, value) in variables)
        {
            context.Set(name, JinjaValue.From(value));
        }
        return new JinjaEvaluator(Name).Render(_body, new JinjaScope(context));
    }
}
