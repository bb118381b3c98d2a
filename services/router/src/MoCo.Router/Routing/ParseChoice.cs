using System.Globalization;

namespace MoCo.Router.Routing;

/// <summary>
/// ParseChoice (methods-api.md §0.5): the labels are scanned from the highest to the lowest and the first whose decimal
/// string occurs anywhere in the router's text wins; none → the fallback. Biased on purpose ("1 or 2" → 2, any stray
/// digit counts): the reference parses this way and the raw text goes to the trace.
/// </summary>
public static class ParseChoice
{
    /// <summary>The label (from <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1)
    /// found in <paramref name="text"/>, highest first; null when none occurs (the caller applies its fallback).</summary>
    public static int? Find(string text, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var label = first + count - 1; label >= first; label--)
        {
            if (text.Contains(label.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                return label;
            }
        }
        return null;
    }

    /// <summary>The draw purpose of a text router's random fallback (api_trained_router, a stored router with fallback −1).</summary>
    public const string RouteFallback = "route-fallback";

    /// <summary><see cref="Find"/> with <paramref name="fallback"/> where no label occurs.</summary>
    public static int Of(string text, int first, int count, int fallback) => Find(text, first, count) ?? fallback;

    /// <summary><see cref="Find"/> with a counter-based uniform label (methods-api.md §0.7) where no label occurs, drawn
    /// for (<paramref name="seed"/>, <paramref name="purpose"/>, <paramref name="item"/>, <paramref name="step"/>): a run
    /// and the router service draw the same label for the same item key.</summary>
    public static int OrDraw(string text, int first, int count, ulong seed, string purpose, string item, long step) =>
        Find(text, first, count) ?? first + CounterRng.Below(count, seed, purpose, item, -1, step);
}
