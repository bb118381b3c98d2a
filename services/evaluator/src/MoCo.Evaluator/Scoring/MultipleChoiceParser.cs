namespace MoCo.Evaluator.Scoring;

/// <summary>
/// The reference's multiple-choice parser (evaluation.md §2.1), crude heuristics kept: "A good…" → A, "A or B" →
/// A, "Data." → A, and "**B**" or "Option D" parse to nothing. Options are addressed by positional letters A, B, …
/// whatever the file's labels.
/// </summary>
public static class MultipleChoiceParser
{
    /// <summary>The positional letter of option <paramref name="position"/> (0 → A).</summary>
    public static char Letter(int position) => (char)('A' + position);

    /// <summary>The chosen option's position, or null when no rule finds one.</summary>
    /// <param name="output">The raw output.</param>
    /// <param name="options">Option texts in order; null = a null option (never matched, A2).</param>
    /// <param name="mode">Compat mode: empty texts match everything in `reference` (Q6), are skipped in `moco`.</param>
    public static int? Parse(string output, IReadOnlyList<string?> options, CompatMode mode)
    {
        var r = PythonText.Strip(PythonText.Lower(output));

        // 1. The response is a letter, or starts with "x)", "x." or "x ".
        for (var i = 0; i < options.Count; i++)
        {
            var l = char.ToLowerInvariant(Letter(i));
            if ((r.Length == 1 && r[0] == l) || (r.Length >= 2 && r[0] == l && r[1] is ')' or '.' or ' '))
            {
                return i;
            }
        }

        // 2. The first option, in option order, whose text occurs in the response.
        for (var i = 0; i < options.Count; i++)
        {
            if (options[i] is not { } text || (text.Length == 0 && mode == CompatMode.Moco))
            {
                continue;
            }
            if (r.Contains(PythonText.Lower(text), StringComparison.Ordinal))
            {
                return i;
            }
        }

        // 3. "x)", "(x)", "answer is x" or "x." anywhere.
        for (var i = 0; i < options.Count; i++)
        {
            var l = char.ToLowerInvariant(Letter(i));
            if (r.Contains($"{l})", StringComparison.Ordinal) || r.Contains($"({l})", StringComparison.Ordinal)
                || r.Contains($"answer is {l}", StringComparison.Ordinal) || r.Contains($"{l}.", StringComparison.Ordinal))
            {
                return i;
            }
        }
        return null;
    }
}
