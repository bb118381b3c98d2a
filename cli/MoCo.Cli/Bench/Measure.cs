namespace MoCo.Cli.Bench;

/// <summary>How every suite times a workload: one untimed warm-up run (first-call costs: page faults, JIT, caches,
/// the KV blocks' first touch), then the best of the timed runs — on a shared machine the best is the steadiest
/// figure, the others being the same work slowed by neighbours.</summary>
public static class Measure
{
    /// <summary>The highest of <paramref name="repeats"/> figures of <paramref name="rate"/> (higher is better).</summary>
    public static double Best(int repeats, Func<double> rate)
    {
        rate();
        var best = 0.0;
        for (var i = 0; i < repeats; i++)
        {
            best = Math.Max(best, rate());
        }
        return best;
    }

    /// <summary>As <see cref="Best(int, Func{double})"/> for an asynchronous workload.</summary>
    public static async Task<double> BestAsync(int repeats, Func<Task<double>> rate)
    {
        await rate().ConfigureAwait(false);
        var best = 0.0;
        for (var i = 0; i < repeats; i++)
        {
            best = Math.Max(best, await rate().ConfigureAwait(false));
        }
        return best;
    }
}
