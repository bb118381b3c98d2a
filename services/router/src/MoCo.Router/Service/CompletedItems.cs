using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>Complete's streaming order (router.proto: items in any order): each item as soon as its own calls finish.</summary>
public static class CompletedItems
{
    /// <summary>The items of <paramref name="items"/> in the order they finish; the tasks start when enumeration does.</summary>
    public static async IAsyncEnumerable<CompletedItem> AsFinished(IEnumerable<Task<CompletedItem>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var pending = items.ToList();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(finished);
            yield return await finished.ConfigureAwait(false);
        }
    }
}
