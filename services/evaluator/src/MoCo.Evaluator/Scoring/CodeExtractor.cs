using System.Text.RegularExpressions;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// The code of a coding answer (evaluation.md §2.8): the last fence opened with three backticks and optionally the
/// item's language name (case-insensitive), then optional whitespace and a newline; else the last fenced block of
/// any kind; else the whole output; trimmed. A `py` or `python3` tag is not matched by the first rule and ends up in
/// the code through the second, which then fails to run (kept from the reference).
/// </summary>
public static partial class CodeExtractor
{
    private const string S = PythonText.SpaceClass;

    [GeneratedRegex("```" + S + @"*\n?(.*?)```", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex AnyFence();

    /// <summary>The code in <paramref name="output"/> for an item in <paramref name="language"/>.</summary>
    public static string Extract(string output, string language)
    {
        var tagged = new Regex("```(?:" + Regex.Escape(language) + ")?" + S + @"*\n(.*?)```",
            RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        var matches = tagged.Matches(output);
        if (matches.Count == 0)
        {
            matches = AnyFence().Matches(output);
        }
        return PythonText.Strip(matches.Count > 0 ? matches[^1].Groups[1].Value : output);
    }
}
