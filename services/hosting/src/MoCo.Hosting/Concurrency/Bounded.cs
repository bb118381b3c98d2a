namespace MoCo.Hosting.Concurrency;

/// <summary>Calls that run concurrently up to a bound: a service batches what arrives together, and the bound keeps a long
/// list from opening every request (or decode stream) at once.</summary>
public static class Bounded
{
    /// <summary><paramref name="call"/> on each item (with its position), at most <paramref name="limit"/> at a time (below
    /// 1 counts as 1), the results in item order.</summary>
    public static async Task<TResult[]> SelectAsync<TItem, TResult>(IEnumerable<TItem> items, int limit, Func<TItem, int, Task<TResult>> call,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(call);
        using var gate = new SemaphoreSlim(Math.Max(1, limit));
        return await Task.WhenAll(items.Select(async (item, i) =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await call(item, i).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList()).ConfigureAwait(false);
    }
}
