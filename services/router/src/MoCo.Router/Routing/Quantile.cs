namespace MoCo.Router.Routing;

/// <summary>torch.quantile's default (linear interpolation), the api_cascade threshold (methods-api.md §6).</summary>
public static class Quantile
{
    /// <summary>The <paramref name="q"/>-quantile of <paramref name="values"/>: sorted, position q·(n−1), linear between
    /// the two neighbours.</summary>
    public static double Linear(IReadOnlyList<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("the quantile of no values is undefined: the dev split is empty", nameof(values));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1.0);
        var sorted = values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}
