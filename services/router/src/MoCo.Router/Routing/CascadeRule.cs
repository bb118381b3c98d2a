namespace MoCo.Router.Routing;

/// <summary>
/// When a level of api_cascade keeps its answer (methods-api.md §6): the last level always; in logit mode when the
/// answer's confidence reaches the level's threshold; in just_ask mode unless the model said it is unconfident. The
/// reference's `if threshold and conf >= threshold` also defers everything at a threshold of exactly 0 (a falsy
/// tensor); MoCo.NET compares plainly unless compat is reference (quirk).
/// </summary>
public static class CascadeRule
{
    /// <summary>The k of logit mode's ScoredGen confidence.</summary>
    public const int TopK = 5;

    /// <summary>Whether level <paramref name="level"/> of <paramref name="levels"/> keeps its answer.</summary>
    public static bool Accepts(bool logit, int level, int levels, double confidence, IReadOnlyList<double> thresholds, string text, bool reference)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(text);
        if (level == levels - 1)
        {
            return true;
        }
        return logit
            ? (!reference || thresholds[level] != 0) && confidence >= thresholds[level]
            : !text.Contains(RouterPrompts.Unconfident, StringComparison.Ordinal);
    }
}
