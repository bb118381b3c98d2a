namespace MoCo.Evaluator.Scoring;

/// <summary>
/// The comparisons of exact_match and f1_match (evaluation.md §2.2, §2.3). Both normalise prediction and gold; when
/// the gold normalises to "" the reference matches every prediction that does too (an empty output included), so
/// `moco` compares the fallback normalisations of both sides instead (Q3).
/// </summary>
public static class AnswerComparison
{
    /// <summary>1.0 iff the normalised prediction equals the normalised gold.</summary>
    public static double ExactMatch(string prediction, string gold, CompatMode mode)
    {
        var g = AnswerNormalizer.Normalize(gold);
        if (g.Length == 0 && mode == CompatMode.Moco)
        {
            return AnswerNormalizer.Fallback(prediction) == AnswerNormalizer.Fallback(gold) ? 1.0 : 0.0;
        }
        return AnswerNormalizer.Normalize(prediction) == g ? 1.0 : 0.0;
    }

    /// <summary>Token F1 of the normalised prediction and gold: both empty → 1, one empty → 0, else the harmonic
    /// mean of precision and recall over the multiset intersection.</summary>
    public static double F1(string prediction, string gold, CompatMode mode)
    {
        var g = AnswerNormalizer.Normalize(gold);
        List<string> predTokens, goldTokens;
        if (g.Length == 0 && mode == CompatMode.Moco)
        {
            predTokens = PythonText.Split(AnswerNormalizer.Fallback(prediction));
            goldTokens = PythonText.Split(AnswerNormalizer.Fallback(gold));
        }
        else
        {
            predTokens = PythonText.Split(AnswerNormalizer.Normalize(prediction));
            goldTokens = PythonText.Split(g);
        }
        if (predTokens.Count == 0 && goldTokens.Count == 0)
        {
            return 1.0;
        }
        if (predTokens.Count == 0 || goldTokens.Count == 0)
        {
            return 0.0;
        }
        var counts = goldTokens.CountBy(t => t, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var common = 0;
        foreach (var token in predTokens)
        {
            if (counts.TryGetValue(token, out var left) && left > 0)
            {
                counts[token] = left - 1;
                common++;
            }
        }
        if (common == 0)
        {
            return 0.0;
        }
        var precision = (double)common / predTokens.Count;
        var recall = (double)common / goldTokens.Count;
        return 2 * precision * recall / (precision + recall);
    }
}
