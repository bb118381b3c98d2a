using System.Diagnostics;

namespace MoCo.Testing;

/// <summary>Bounded polling for a condition that health checking makes true some time later: never a fixed sleep.</summary>
public static class Eventually
{
    /// <summary>How long a condition may take unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);

    /// <summary>Completes once <paramref name="condition"/> holds; throws a <see cref="TimeoutException"/> naming
    /// <paramref name="what"/> when it has not within <paramref name="timeout"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);

    /// <inheritdoc cref="TrueAsync(Func{bool}, string, TimeSpan?)"/>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0.#} s for {what}");
            }
            await Task.Delay(Step);
        }
    }
}
