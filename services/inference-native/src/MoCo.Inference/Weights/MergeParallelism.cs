using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace MoCo.Inference.Weights;

/// <summary>
/// How merges spread over the cores without holding their inputs in memory: tensors run on at most
/// <see cref="MaxTensors"/> threads, each reading chunks of about <see cref="ChunkBytes"/> per input, so the bytes
/// in flight stay below MaxTensors × (inputs + output) × ChunkBytes whatever the model's size.
/// </summary>
public static class MergeParallelism
{
    /// <summary>About 4 MiB: one chunk of one input.</summary>
    public const long ChunkBytes = 4L << 20;

    /// <summary>Elements per chunk (f32 sized; 16-bit inputs read half the bytes).</summary>
    public const long ChunkElements = ChunkBytes / sizeof(float);

    /// <summary>Tensors merged at once.</summary>
    public static int MaxTensors => Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Runs <paramref name="work"/> on every item with bounded parallelism, largest first (by
    /// <paramref name="bytes"/>) and each to the next free thread, so one embedding does not leave the others idle at the
    /// end; the first failure is rethrown as itself (an RpcException naming the tensor stays one) and stops items not yet started.</summary>
    public static void ForEach<T>(IEnumerable<T> items, Func<T, long> bytes, Action<T> work, CancellationToken cancel)
    {
        var ordered = Partitioner.Create(items.OrderByDescending(bytes), EnumerablePartitionerOptions.NoBuffering);
        try
        {
            Parallel.ForEach(ordered, new ParallelOptions { MaxDegreeOfParallelism = MaxTensors, CancellationToken = cancel }, work);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }
}
