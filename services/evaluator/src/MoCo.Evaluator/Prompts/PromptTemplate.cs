using System.Text;
using System.Text.RegularExpressions;

namespace MoCo.Evaluator.Prompts;

/// <summary>A prompt text with named placeholders (<c>{name}</c>), filled in one pass so inserted text is literal:
/// an answer that happens to contain "{question}" stays as written.</summary>
public sealed partial class PromptTemplate
{
    private readonly List<(string Text, bool IsPlaceholder)> _parts = [];

    /// <summary>Parses <paramref name="text"/>; every placeholder must be one of <paramref name="names"/>.</summary>
    public PromptTemplate(string name, string text, params IReadOnlyList<string> names)
    {
        Name = name;
        var at = 0;
        foreach (Match m in Placeholder().Matches(text))
        {
            if (!names.Contains(m.Groups[1].Value))
            {
                continue;
            }
            _parts.Add((text[at..m.Index], false));
            _parts.Add((m.Groups[1].Value, true));
            at = m.Index + m.Length;
        }
        _parts.Add((text[at..], false));
        var missing = names.Where(n => !_parts.Contains((n, true))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"prompt {name} lacks the placeholder(s) {string.Join(", ", missing.Select(m => "{" + m + "}"))}");
        }
    }

    /// <summary>The template's resource name.</summary>
    public string Name { get; }

    /// <summary>The text with every placeholder replaced by its value.</summary>
    public string Render(IReadOnlyDictionary<string, string> values)
    {
        var text = new StringBuilder();
        foreach (var (part, isPlaceholder) in _parts)
        {
            text.Append(isPlaceholder ? values[part] : part);
        }
        return text.ToString();
    }

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();
}
