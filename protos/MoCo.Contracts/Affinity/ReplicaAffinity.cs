using System.Collections.Concurrent;
using System.Collections.Immutable;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace MoCo.Contracts.Affinity;

/// <summary>
/// The client's half of contracts.md §9 affinity: which inference replica holds each model made at run time, and how to
/// make it again. A response that creates a model (Merge, WriteModel, Train's done message) or describes a run-time
/// model (ModelInfo, LoadModel) pins the model to the replica it names in <c>moco-replica</c>; every later call whose
/// <c>moco-model</c> names a pinned model carries that <c>moco-replica</c>, so the gateway sends it where the model is.
/// When the replica is gone the call lands elsewhere and gets NOT_FOUND; a model registered in a
/// <see cref="RebuildScope"/> is then made again (once, however many calls lost it) and the call is repeated.
/// One instance per process serves every channel wrapped with <see cref="Intercept"/>.
/// </summary>
public sealed class ReplicaAffinity
{
    // The models the current async flow is rebuilding: a rebuild's own calls that find the model missing (Train's
    // availability probe) must get their NOT_FOUND, not wait for the rebuild they are part of.
    private static readonly AsyncLocal<ImmutableHashSet<string>?> Rebuilding = new();

    private readonly ConcurrentDictionary<string, string> _pins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Registration> _rebuilds = new(StringComparer.Ordinal);
    // Both under _gate: which rebuild finished last per model (an epoch), and which are running.
    private readonly Dictionary<string, long> _rebuiltAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _epoch;

    /// <summary>Creates the affinity table and its interceptor.</summary>
    public ReplicaAffinity() => Interceptor = new ReplicaAffinityInterceptor(this);

    /// <summary>The interceptor that sends and learns pins and repeats calls after a rebuild.</summary>
    public Interceptor Interceptor { get; }

    /// <summary>The invoker clients of <paramref name="channel"/> use to take part in affinity.</summary>
    public CallInvoker Intercept(ChannelBase channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return Intercept(channel.CreateCallInvoker());
    }

    /// <summary>The invoker clients of <paramref name="invoker"/> use to take part in affinity.</summary>
    public CallInvoker Intercept(CallInvoker invoker)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        return invoker.Intercept(Interceptor);
    }

    /// <summary>The replica <paramref name="model"/> is pinned to; null when none is known.</summary>
    public string? ReplicaOf(string model) => _pins.TryGetValue(model, out var replica) ? replica : null;

    /// <summary>Pins <paramref name="model"/> to <paramref name="replica"/>, replacing an earlier pin.</summary>
    public void Pin(string model, string replica)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentException.ThrowIfNullOrEmpty(replica);
        _pins[model] = replica;
    }

    /// <summary>Opens a scope whose registered rebuilds last until it is disposed (a run registers the models it makes
    /// in its own scope, so a finished run's closures are not kept).</summary>
    public RebuildScope OpenScope() => new(this);

    /// <summary>The counter a call reads when it is sent; a rebuild finished after that reading makes a repeat
    /// enough.</summary>
    internal long Epoch => Interlocked.Read(ref _epoch);

    internal void Register(RebuildScope scope, string model, Func<CancellationToken, Task> rebuild) =>
        _rebuilds[model] = new Registration(scope, rebuild);

    internal void Unregister(RebuildScope scope)
    {
        foreach (var entry in _rebuilds.Where(e => e.Value.Scope == scope))
        {
            _rebuilds.TryRemove(entry);
        }
    }

    /// <summary>Runs <paramref name="call"/>, a client- or bidirectional-stream call the interceptor cannot replay (Train,
    /// Decode: their requests are the caller's), and when it fails with NOT_FOUND for a model registered for rebuild,
    /// makes that model again and runs the call once more, as the interceptor repeats unary and server-streaming calls.</summary>
    /// <param name="routedBy">The model the call is routed by (its <c>moco-model</c>): the one lost when the NOT_FOUND names none.</param>
    /// <param name="call">The whole call, from sending the first request to reading the answer; it may run twice.</param>
    /// <param name="cancellationToken">Cancels the rebuild.</param>
    /// <exception cref="RpcException">The call's error when no rebuild applies, or the repeat's.</exception>
    public async Task<T> RepeatAfterRebuildAsync<T>(string? routedBy, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var sentAt = Epoch;
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (ReplicaAffinityInterceptor.Missing(e, routedBy) is { } lost)
        {
            if (!await RecoverAsync(lost, sentAt, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
        }
        return await call().ConfigureAwait(false);
    }

    /// <summary>Makes <paramref name="model"/> again after a call sent at <paramref name="sentAt"/> did not find it.
    /// Calls that fail together share one rebuild; a call that failed before a rebuild finished only repeats.</summary>
    /// <returns>False when nobody registered how to make the model, or the caller is its rebuild (the NOT_FOUND
    /// stands).</returns>
    internal async Task<bool> RecoverAsync(string model, long sentAt, CancellationToken cancellationToken)
    {
        if (!_rebuilds.TryGetValue(model, out var registration) || Rebuilding.Value?.Contains(model) == true)
        {
            return false;
        }
        Task shared;
        TaskCompletionSource? started = null;
        lock (_gate)
        {
            if (_rebuiltAt.TryGetValue(model, out var at) && at > sentAt)
            {
                return true;
            }
            if (!_inFlight.TryGetValue(model, out shared!))
            {
                started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = started.Task;
                _inFlight[model] = shared;
            }
        }
        // The rebuild runs outside the lock: it is the caller's code, and it makes calls of its own.
        await (started is null ? shared : RebuildAsync(model, registration.Rebuild, started, cancellationToken)).ConfigureAwait(false);
        return true;
    }

    private async Task RebuildAsync(string model, Func<CancellationToken, Task> rebuild, TaskCompletionSource done, CancellationToken cancellationToken)
    {
        Rebuilding.Value = (Rebuilding.Value ?? ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal)).Add(model);
        // The old pin names a replica without the model: the rebuild's own calls must be balanced afresh.
        _pins.TryRemove(model, out _);
        try
        {
            await rebuild(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _rebuiltAt[model] = Interlocked.Increment(ref _epoch);
                _inFlight.Remove(model);
            }
            done.SetResult();
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _inFlight.Remove(model);
            }
            done.SetException(e);
            throw;
        }
    }

    private sealed record Registration(RebuildScope Scope, Func<CancellationToken, Task> Rebuild);
}
