using System.Text.RegularExpressions;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// extract() of evaluation.md §2.0, used by exact_match, f1_match, general_verifier and the voting methods. The
/// first rule yielding a value wins: the last boxed answer, an inline box, the labelled-answer patterns, the
/// whole output. The reference's crude results are kept on purpose (they define the paper's numbers); the only
/// mode difference is Q2, the brace-balanced box capture of `moco`.
/// </summary>
public static partial class AnswerExtractor
{
    private const string S = PythonText.SpaceClass;
    // Python's \b before a word character: the previous character is not a word character.
    private const string WordStart = @"(?<![\p{L}\p{N}_])";
    private const string LabelTail = S + @"*((?:[^<]|<[^<])*?)\n";
    private const string PhraseTail = S + @"*(?:is|=)?" + S + @"*[:\-]?" + S + "*(.+)";

    [GeneratedRegex(@"\\box(?:ed)?" + S + @"*\{", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BoxOpen();

    [GeneratedRegex(@"\\box(?:ed)?" + S + @"+([^\n\r]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InlineBox();

    private static readonly Regex[] Labels =
    [
        .. new[] { "Final Answer:", "Final Answer is:", "The answer is:", "Answer:", "Solution:", "The solution is:" }
            .Select(label => new Regex(Regex.Escape(label) + LabelTail, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled)),
        .. new[] { "the answer", "final answer", "answer" }
            .Select(phrase => new Regex(WordStart + Regex.Escape(phrase) + PhraseTail, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled)),
    ];

    /// <summary>extract(output) under the given mode.</summary>
    public static string Extract(string output, CompatMode mode)
    {
        if (LastBoxed(output, mode) is { } boxed)
        {
            return PythonText.Strip(boxed);
        }

        var inline = InlineBox().Match(output);
        if (inline.Success && PythonText.Strip(inline.Groups[1].Value) is { Length: > 0 } rest)
        {
            return rest;
        }

        foreach (var label in Labels)
        {
            var match = label.Match(output);
            if (!match.Success)
            {
                continue;
            }
            var candidate = PythonText.Strip(match.Groups[1].Value);
            if (candidate.Length == 0)
            {
                continue;
            }
            var cut = candidate.IndexOfAny(['\n', '\r']);
            candidate = PythonText.Strip(cut < 0 ? candidate : candidate[..cut]).TrimEnd('.', ' ');
            if (candidate.Length > 0)
            {
                return candidate;
            }
        }
        return PythonText.Strip(output);
    }

    // The content of the last \box{…} / \boxed{…}, even if empty; null when there is none. Occurrences are taken
    // left to right without overlap. Reference: up to the next '}'. moco (Q2): up to the balancing brace, escaped
    // braces not counted; an occurrence that never balances falls back to the reference rule.
    private static string? LastBoxed(string text, CompatMode mode)
    {
        string? last = null;
        var from = 0;
        while (from <= text.Length)
        {
            var open = BoxOpen().Match(text, from);
            if (!open.Success)
            {
                break;
            }
            var contentStart = open.Index + open.Length;
            var end = mode == CompatMode.Moco ? BalancedEnd(text, contentStart) : -1;
            if (end < 0)
            {
                end = text.IndexOf('}', contentStart);
            }
            if (end < 0)
            {
                break; // no closing brace anywhere after: no later occurrence can close either
            }
            last = text[contentStart..end];
            from = end + 1;
        }
        return last;
    }

    private static int BalancedEnd(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when i + 1 < text.Length && text[i + 1] is '{' or '}':
                    i++;
                    break;
                case '{':
                    depth++;
                    break;
                case '}' when --depth == 0:
                    return i;
            }
        }
        return -1;
    }
}
