namespace MoCo.Contracts.Affinity;

/// <summary>How the models one owner (a run) made can be made again: each registration is a call that recreates the
/// model under the same id, e.g. its Merge or Train repeated from the stored call key. Disposing the scope forgets
/// them; a model registered again by a later scope belongs to that one.</summary>
public sealed class RebuildScope : IDisposable
{
    private readonly ReplicaAffinity _affinity;

    internal RebuildScope(ReplicaAffinity affinity) => _affinity = affinity;

    /// <summary>Registers how to make <paramref name="model"/> again when a call finds it missing.</summary>
    public void Register(string model, Func<CancellationToken, Task> rebuild)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(rebuild);
        _affinity.Register(this, model, rebuild);
    }

    /// <summary>Runs <paramref name="call"/> and repeats it once after rebuilding a model it found missing
    /// (<see cref="ReplicaAffinity.RepeatAfterRebuildAsync"/>).</summary>
    public Task<T> RepeatAfterRebuildAsync<T>(string? routedBy, Func<Task<T>> call, CancellationToken cancellationToken) =>
        _affinity.RepeatAfterRebuildAsync(routedBy, call, cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _affinity.Unregister(this);
}
