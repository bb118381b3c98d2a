using System.Collections.Concurrent;
using MoCo.Models.Catalog;

namespace MoCo.Inference.Text;

/// <summary>
/// One <see cref="ModelText"/> per model directory, loaded on first use by one thread while others wait. A load
/// that fails is not kept, so a directory fixed on disk works on the next call without a restart; a loaded one is
/// kept for the life of the process (catalogue models do not change under a running server).
/// </summary>
public sealed class ModelTextCache
{
    private readonly ConcurrentDictionary<string, Lazy<ModelText>> _models = new(StringComparer.Ordinal);

    /// <summary>The text component of a resolved model.</summary>
    /// <exception cref="Grpc.Core.RpcException">FAILED_PRECONDITION or UNIMPLEMENTED naming the file or feature (<see cref="TextErrors"/>).</exception>
    public ModelText Get(ModelResolution resolution)
    {
        ArgumentNullException.ThrowIfNull(resolution);
        var directory = resolution.Directory ?? throw new ArgumentException("the model is not resolved", nameof(resolution));
        var entry = _models.GetOrAdd(directory, d => new Lazy<ModelText>(() => ModelText.Load(d), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return entry.Value;
        }
        catch (Exception e) when (TextErrors.FromLoad(resolution.Name, directory, e) is { } error)
        {
            _models.TryRemove(KeyValuePair.Create(directory, entry));
            throw error;
        }
    }
}
