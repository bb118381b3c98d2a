namespace MoCo.Inference.Scheduling;

/// <summary>
/// Stops a scheduling loop from admitting and stepping (cancellations are still handled) until disposed, except for
/// the steps <see cref="Allow"/> lets through. Tests use it to put requests in one batch, fill the queue, or cancel a
/// request mid-generation without depending on timing.
/// </summary>
internal sealed class SchedulerHold(ModelScheduler scheduler) : IDisposable
{
    private int _allowed;

    /// <summary>Lets <paramref name="steps"/> more steps run.</summary>
    public void Allow(int steps)
    {
        Interlocked.Add(ref _allowed, steps);
        scheduler.Wake();
    }

    /// <summary>Takes one allowed step, if any (loop thread).</summary>
    internal bool TryTake()
    {
        while (true)
        {
            var allowed = Volatile.Read(ref _allowed);
            if (allowed == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _allowed, allowed - 1, allowed) == allowed)
            {
                return true;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => scheduler.Release(this);
}
