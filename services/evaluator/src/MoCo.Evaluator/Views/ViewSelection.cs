using MoCo.Hosting.Randomness;

namespace MoCo.Evaluator.Views;

/// <summary>How a view's items were chosen (evaluation.md §5.3).</summary>
public enum SelectionKind
{
    /// <summary>Every item of the split.</summary>
    All,
    /// <summary>The first N items, cut groups completed.</summary>
    Prefix,
    /// <summary>A SplitMix64 sample of N items (or of whole groups until ≥ N items).</summary>
    Seeded,
}

/// <summary>
/// Sub-sampling of a split (evaluation.md §5.3): the first N items, or a seeded uniform sample by partial
/// Fisher–Yates; with a grouping field, a cut group is completed and a seeded sample draws whole groups in order of
/// first appearance until it holds at least N items. Items without a group value are groups of one.
/// </summary>
public static class ViewSelection
{
    /// <summary>The chosen indices of a split of <paramref name="count"/> items, ascending.</summary>
    /// <param name="count">Items in the split.</param>
    /// <param name="limit">N; null = all.</param>
    /// <param name="seed">Seed of a sample; null = prefix.</param>
    /// <param name="groupOf">Group value per index (null = ungrouped); null = no grouping.</param>
    public static (int[] Indices, SelectionKind Kind) Select(int count, int? limit, ulong? seed, Func<int, string?>? groupOf)
    {
        if (limit is null || limit.Value >= count)
        {
            return (Enumerable.Range(0, count).ToArray(), SelectionKind.All);
        }
        var n = limit.Value;
        if (seed is null)
        {
            return (Complete(Enumerable.Range(0, n), count, groupOf), SelectionKind.Prefix);
        }
        if (groupOf is null)
        {
            return (Sample(count, n, seed.Value).Order().ToArray(), SelectionKind.Seeded);
        }
        return (SampleGroups(count, n, seed.Value, groupOf), SelectionKind.Seeded);
    }

    /// <summary>Partial Fisher–Yates on [0, n): the first <paramref name="take"/> entries after the swaps, unsorted.</summary>
    public static int[] Sample(int n, int take, ulong seed)
    {
        var a = Enumerable.Range(0, n).ToArray();
        var rng = new SplitMix64(seed);
        for (var i = 0; i < take && i < n; i++)
        {
            Swap(a, i, i + (int)(rng.Next() % (ulong)(n - i)));
        }
        return a[..Math.Min(take, n)];
    }

    private static int[] SampleGroups(int count, int n, ulong seed, Func<int, string?> groupOf)
    {
        var groups = Groups(count, groupOf);
        var order = Enumerable.Range(0, groups.Count).ToArray();
        var rng = new SplitMix64(seed);
        var chosen = new List<int>();
        for (var i = 0; i < order.Length && chosen.Count < n; i++)
        {
            Swap(order, i, i + (int)(rng.Next() % (ulong)(order.Length - i)));
            chosen.AddRange(groups[order[i]]);
        }
        return chosen.Order().ToArray();
    }

    // Every member of a group with at least one chosen member joins the view.
    private static int[] Complete(IEnumerable<int> chosen, int count, Func<int, string?>? groupOf)
    {
        var set = chosen.ToHashSet();
        if (groupOf is null)
        {
            return set.Order().ToArray();
        }
        var values = set.Select(groupOf).Where(v => v is not null).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            if (groupOf(i) is { } value && values.Contains(value))
            {
                set.Add(i);
            }
        }
        return set.Order().ToArray();
    }

    private static List<List<int>> Groups(int count, Func<int, string?> groupOf)
    {
        var groups = new List<List<int>>();
        var byValue = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            if (groupOf(i) is not { } value)
            {
                groups.Add([i]);
            }
            else if (byValue.TryGetValue(value, out var members))
            {
                members.Add(i);
            }
            else
            {
                byValue[value] = [i];
                groups.Add(byValue[value]);
            }
        }
        return groups;
    }

    private static void Swap(int[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);
}
