using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>One match: instruction index (into the P instructions) and the two players (model indices), first player a.</summary>
public sealed record SpartaMatch(int Instruction, int A, int B);

/// <summary>
/// SPARTA's matchmaking (methods-text.md §12 step 2): ⌊P/N⌋ loops of N consecutive instructions, each loop a random
/// permutation of the models whose p-th model is first player on the loop's p-th instruction; each leftover instruction
/// gets a uniform first player. The opponent is, with probability random_match_prob, uniform among the others; else
/// uniform among the first max(1, min(num_opponents, N − 1)) others sorted by rating distance (stable, model order on
/// ties). Ratings go by name.
/// </summary>
public static class SpartaMatches
{
    /// <summary>The matches of one iteration over <paramref name="instructions"/> instructions, in instruction order.</summary>
    public static IReadOnlyList<SpartaMatch> Draw(SeededRng rng, IReadOnlyList<string> models, IReadOnlyDictionary<string, SpartaRating> ratings, int instructions,
        double randomMatchProb, int numOpponents)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(ratings);
        var n = models.Count;
        var matches = new List<SpartaMatch>();
        for (var loop = 0; loop < instructions / n; loop++)
        {
            var order = Enumerable.Range(0, n).ToArray();
            rng.Shuffle(order);
            for (var p = 0; p < n; p++)
            {
                matches.Add(new SpartaMatch(loop * n + p, order[p], Opponent(rng, models, ratings, order[p], randomMatchProb, numOpponents)));
            }
        }
        for (var k = instructions / n * n; k < instructions; k++)
        {
            var a = rng.Next(n);
            matches.Add(new SpartaMatch(k, a, Opponent(rng, models, ratings, a, randomMatchProb, numOpponents)));
        }
        return matches;
    }

    private static int Opponent(SeededRng rng, IReadOnlyList<string> models, IReadOnlyDictionary<string, SpartaRating> ratings, int player, double randomMatchProb,
        int numOpponents)
    {
        var others = CandidateList.Others(models.Count, player).ToList();
        if (rng.NextDouble() < randomMatchProb)
        {
            return others[rng.Next(others.Count)];
        }
        var own = ratings[models[player]].Score;
        var nearest = others.OrderBy(o => ratings.TryGetValue(models[o], out var r) ? Math.Abs(own - r.Score) : double.PositiveInfinity)
            .Take(Math.Max(1, Math.Min(numOpponents, others.Count))).ToList();
        return nearest[rng.Next(nearest.Count)];
    }
}
