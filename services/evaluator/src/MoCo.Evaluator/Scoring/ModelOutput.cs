namespace MoCo.Evaluator.Scoring;

/// <summary>
/// A submitted output as every task type reads it (evaluation.md §2.0): a null output is "" with flag
/// empty_output (A1); in `moco` (Q9) an output containing `&lt;/think&gt;` keeps only the text after the last one,
/// trimmed, as the reference did only for outputs that went through distributed_generation.
/// </summary>
public static class ModelOutput
{
    private const string ThinkEnd = "</think>";

    /// <summary>The text scored and the flags it earns.</summary>
    public static (string Text, bool WasNull) Prepare(string? raw, CompatMode mode)
    {
        if (raw is null)
        {
            return ("", true);
        }
        if (mode == CompatMode.Moco)
        {
            var last = raw.LastIndexOf(ThinkEnd, StringComparison.Ordinal);
            if (last >= 0)
            {
                return (PythonText.Strip(raw[(last + ThinkEnd.Length)..]), false);
            }
        }
        return (raw, false);
    }
}
