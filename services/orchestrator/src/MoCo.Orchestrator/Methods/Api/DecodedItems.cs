using System.Globalization;
using Grpc.Core;
using MoCo.Hosting.Concurrency;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// How the token-level methods (nudging, mentor collaboration, CoLLM) decode a split: each item on its own Decode
/// stream, up to a number of items at once, whose steps the inference service batches together; progress per item. A
/// prompt beyond a model's context fails its item alone (INVALID_ARGUMENT: output "", the error recorded) and the run
/// goes on (methods-text.md §0.3).
/// </summary>
public static class DecodedItems
{
    /// <summary>The decode of every item of <paramref name="split"/>, in item order; <paramref name="decode"/> gets the item
    /// and its key `{split}/{index}` (which seeds and names its sequences), <paramref name="failed"/> the error detail.</summary>
    public static async Task<IReadOnlyList<T>> EachAsync<T>(MethodContext context, string phase, TaskSplit split, int concurrency,
        Func<TaskItem, string, Task<T>> decode, Func<string, T> failed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(failed);
        var finished = 0;
        return await Bounded.SelectAsync(split.Items, concurrency, async (item, _) =>
        {
            T result;
            try
            {
                result = await decode(item, $"{split.Name}/{item.Index.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
            {
                result = failed(e.Status.Detail);
            }
            context.Recorder.Progress(phase, Interlocked.Increment(ref finished));
            return result;
        }, cancellationToken).ConfigureAwait(false);
    }
}
