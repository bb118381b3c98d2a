using MoCo.Contracts.V1;
using MoCo.Inference.Scheduling;
using MoCo.Inference.Text;
using MoCo.Models.Catalog;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Inference.Registry;

/// <summary>A full model loaded on this replica: its weights, its KV cache and the scheduling loop that owns the cache.</summary>
public sealed class ResidentModel : IDisposable
{
    internal ResidentModel(ModelResolution resolution, ModelOrigin origin, MocoModel model, MocoKvCache cache, ModelText text,
        long weightBytes, SchedulerOptions options, int maxSequences)
    {
        Resolution = resolution;
        Origin = origin;
        Model = model;
        Cache = cache;
        Text = text;
        WeightBytes = weightBytes;
        KvBytes = (long)cache.GetStats().MemoryBytes;
        Scheduler = new ModelScheduler(resolution.Name, cache, maxSequences, options);
    }

    /// <summary>The name it was loaded under and its directory.</summary>
    public ModelResolution Resolution { get; }

    /// <summary>Catalogue or run time.</summary>
    public ModelOrigin Origin { get; }

    /// <summary>The engine's model.</summary>
    public MocoModel Model { get; }

    /// <summary>The model's text component.</summary>
    public ModelText Text { get; }

    /// <summary>Bytes of its weight files.</summary>
    public long WeightBytes { get; }

    /// <summary>Bytes of its KV cache.</summary>
    public long KvBytes { get; }

    /// <summary>The cache's usage after the last step.</summary>
    public KvCacheStats KvStats => Scheduler.Stats;

    internal MocoKvCache Cache { get; }

    internal ModelScheduler Scheduler { get; }

    /// <summary>Stops the loop (failing what waits or runs), then frees the cache and the model.</summary>
    public void Dispose()
    {
        Scheduler.Dispose();
        Cache.Dispose();
        Model.Dispose();
    }
}
