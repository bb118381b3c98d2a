namespace MoCo.Router.Routing;

/// <summary>
/// A dev profile (methods-api.md §0.3): S[m][j], the score of model m's own answer to dev item j. NaN marks an
/// unscorable item; it counts as 0 in a mean, as the reference's get_scores does for an answer it cannot parse.
/// </summary>
public sealed class DevProfile
{
    private readonly double[][] _scores;

    /// <summary>A profile of <paramref name="scores"/>[model][item]; every model has the same number of items.</summary>
    public DevProfile(IReadOnlyList<IReadOnlyList<double>> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            throw new ArgumentException("a dev profile needs at least one model", nameof(scores));
        }
        if (scores.Any(s => s.Count != scores[0].Count))
        {
            throw new ArgumentException("every model needs one score per dev item", nameof(scores));
        }
        _scores = [.. scores.Select(s => s.ToArray())];
    }

    /// <summary>Number of models.</summary>
    public int Models => _scores.Length;

    /// <summary>Number of dev items.</summary>
    public int Items => _scores[0].Length;

    /// <summary>S[m][j]; NaN = unscorable.</summary>
    public double this[int model, int item] => _scores[model][item];

    /// <summary>Model <paramref name="model"/>'s average dev score (NaN counted as 0; 0 for an empty dev split).</summary>
    public double Mean(int model) => Items == 0 ? 0 : _scores[model].Sum(s => double.IsNaN(s) ? 0 : s) / Items;

    /// <summary>The router of api_prompt_routing (§2): the model with the highest average dev score, lowest index on ties.</summary>
    public int Best()
    {
        var best = 0;
        for (var m = 1; m < Models; m++)
        {
            if (Mean(m) > Mean(best))
            {
                best = m;
            }
        }
        return best;
    }

    /// <summary>The models tied at item <paramref name="item"/>'s maximal score, in index order.</summary>
    public IReadOnlyList<int> Winners(int item)
    {
        var max = Enumerable.Range(0, Models).Max(m => Score(m, item));
        return [.. Enumerable.Range(0, Models).Where(m => Score(m, item) == max)];
    }

    /// <summary>
    /// api_trained_router's label of dev item <paramref name="item"/> (§4 step 2): among the models with the maximal
    /// score the one with the highest reward, lowest index on equal reward. <paramref name="reward"/> is asked only
    /// where two or more models tie (the labels are the same as asking it everywhere).
    /// </summary>
    public int Label(int item, Func<int, double> reward)
    {
        var winners = Winners(item);
        if (winners.Count == 1)
        {
            return winners[0];
        }
        var best = winners[0];
        var bestReward = reward(best);
        foreach (var m in winners.Skip(1))
        {
            var r = reward(m);
            if (r > bestReward)
            {
                (best, bestReward) = (m, r);
            }
        }
        return best;
    }

    private double Score(int model, int item) => double.IsNaN(_scores[model][item]) ? 0 : _scores[model][item];
}
