using MoCo.Hosting.Concurrency;

namespace MoCo.Hosting.Tests;

/// <summary><see cref="Bounded.SelectAsync"/>: no more calls in flight than the bound, results in item order whatever order
/// the calls finish in.</summary>
public sealed class BoundedTests
{
    [Fact]
    public async Task At_most_the_bound_runs_at_once_and_results_keep_item_order()
    {
        var releases = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource()).ToArray();
        var startedSignal = new SemaphoreSlim(0);
        var inFlight = new HashSet<int>();
        var most = 0;
        var all = Bounded.SelectAsync(Enumerable.Range(0, 5), 2, async (item, i) =>
        {
            lock (inFlight)
            {
                inFlight.Add(i);
                most = Math.Max(most, inFlight.Count);
            }
            startedSignal.Release();
            await releases[item].Task;
            lock (inFlight)
            {
                inFlight.Remove(i);
            }
            return item * 10;
        }, default);

        // Two start; each round finishes the most recently started unfinished call, which lets the next item in.
        await startedSignal.WaitAsync();
        await startedSignal.WaitAsync();
        for (var round = 0; round < 5; round++)
        {
            int latest;
            lock (inFlight)
            {
                latest = inFlight.Where(i => !releases[i].Task.IsCompleted).Max();
            }
            releases[latest].SetResult();
            if (round < 3)
            {
                await startedSignal.WaitAsync();
            }
        }
        var results = await all;
        Assert.Equal([0, 10, 20, 30, 40], results);
        Assert.Equal(2, most);
    }
}
