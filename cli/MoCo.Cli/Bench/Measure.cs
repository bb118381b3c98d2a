using System.Diagnostics;

namespace MoCo.Cli.Bench;

/// <summary>How every suite times its workloads: each first runs untimed for <see cref="WarmupSeconds"/> (first-call
/// costs: page faults, caches, the KV blocks' first touch, and .NET's tiered JIT, which recompiles hot methods in the
/// background only once they have run a while: after a single warm-up run a direct Generate timed slower than the same
/// call through the gateway), then rounds time each workload in turn, keeping its best — on a shared
/// machine the best is the steadiest figure, the others being the same work slowed by neighbours, and interleaving
/// gives a baseline and its comparison the same neighbours. A timed run repeats its round until
/// <see cref="MinimumSeconds"/> of timed work: a round on a small model takes milliseconds, below the noise of a
/// scheduler tick.</summary>
public static class Measure
{
    /// <summary>Timed seconds a measurement accumulates at least.</summary>
    public const double MinimumSeconds = 0.2;

    /// <summary>Untimed seconds each workload runs before the timed rounds (at least one run).</summary>
    public const double WarmupSeconds = 1.0;

    /// <summary>Units per second over rounds of <paramref name="round"/> (each returns its units and the seconds of its
    /// timed part) until <see cref="MinimumSeconds"/> have been timed.</summary>
    // The synchronous forms run the asynchronous ones over completed tasks, which finish on the calling thread.
    public static double Sustained(Func<(double Units, double Seconds)> round) =>
        SustainedAsync(() => Task.FromResult(round())).GetAwaiter().GetResult();

    /// <summary>As <see cref="Sustained"/> for an asynchronous round.</summary>
    public static async Task<double> SustainedAsync(Func<Task<(double Units, double Seconds)>> round)
    {
        var (units, seconds) = (0.0, 0.0);
        while (seconds < MinimumSeconds)
        {
            var (u, s) = await round().ConfigureAwait(false);
            (units, seconds) = (units + u, seconds + s);
        }
        return units / seconds;
    }

    /// <summary>Each workload's best rate (higher is better): every workload warmed up untimed, then <paramref name="repeats"/>
    /// rounds in which each is timed in turn, so a baseline and what is compared with it see the same machine.</summary>
    public static double[] BestOfEach(int repeats, params Func<double>[] workloads) =>
        BestOfEachAsync(repeats, [.. workloads.Select(w => (Func<Task<double>>)(() => Task.FromResult(w())))]).GetAwaiter().GetResult();

    /// <summary>As <see cref="BestOfEach"/> for asynchronous workloads.</summary>
    public static async Task<double[]> BestOfEachAsync(int repeats, params Func<Task<double>>[] workloads)
    {
        foreach (var workload in workloads)
        {
            var warm = Stopwatch.StartNew();
            do
            {
                await workload().ConfigureAwait(false);
            }
            while (warm.Elapsed.TotalSeconds < WarmupSeconds);
        }
        var best = new double[workloads.Length];
        for (var r = 0; r < repeats; r++)
        {
            for (var w = 0; w < workloads.Length; w++)
            {
                best[w] = Math.Max(best[w], await workloads[w]().ConfigureAwait(false));
            }
        }
        return best;
    }
}
