using MoCo.Native.Inference;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// One request as the scheduling loop runs it. Every member but the constructor and <see cref="Cancellation"/> is
/// called on the loop thread, which owns the KV cache: a job creates its sequences in <see cref="Start"/>, says what it
/// feeds each step in <see cref="PlanDecode"/> and <see cref="PlanPrefill"/>, re-adds exactly that with
/// <see cref="AddTo"/> (the loop may run a job alone to isolate a failing forward), reads its outputs in
/// <see cref="Advance"/>, and frees its sequences in <see cref="Release"/>.
/// </summary>
internal abstract class SchedulerJob(CancellationToken cancellation)
{
    /// <summary>The caller's cancellation (client cancel or deadline).</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Wakes the loop when <see cref="Cancellation"/> fires; unregistered when the loop lets the job go.</summary>
    public CancellationTokenRegistration WakeOnCancel { get; set; }

    /// <summary>Stops waking the loop on cancellation, without waiting for a wake-up already running: that callback
    /// takes the loop's lock, which the caller may hold (Dispose would wait for it while it waits for the lock).</summary>
    public void StopWaking() => WakeOnCancel.Unregister();

    /// <summary>True once the job has delivered its result or error; the loop then releases it.</summary>
    public bool Done { get; protected set; }

    /// <summary>KV blocks the job may use at most: admission reserves them, so a running job never waits for blocks.</summary>
    public abstract int BlocksNeeded(int blockTokens);

    /// <summary>Sequences the job holds at most at once.</summary>
    public abstract int SequencesNeeded { get; }

    /// <summary>Admitted: create the sequences.</summary>
    public abstract void Start(MocoKvCache cache);

    /// <summary>Plans this step's decode entries (one token per live sample); returns the tokens planned.</summary>
    public virtual int PlanDecode() => 0;

    /// <summary>Plans a prefill chunk of at most <paramref name="budget"/> tokens; returns the tokens planned.</summary>
    public abstract int PlanPrefill(int budget);

    /// <summary>True when this step planned entries.</summary>
    public abstract bool HasPlanned { get; }

    /// <summary>Adds this step's planned entries to <paramref name="batch"/>.</summary>
    public abstract void AddTo(ForwardBatch batch);

    /// <summary>The forward ran: read the outputs, move on, deliver what is done; clears the plan.</summary>
    /// <param name="cache">The loop's cache.</param>
    /// <param name="drawn">
    /// The tokens drawn for this job's entries in <see cref="AddTo"/>'s order (-1 for an entry without a
    /// <see cref="SampleRequest"/>); empty when the batch had no draws.
    /// </param>
    public abstract void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn);

    /// <summary>
    /// Set by the loop around one run of this job alone after a run with its device draws failed: <see cref="AddTo"/>
    /// then adds no <see cref="SampleRequest"/> but asks for the logits rows, and <see cref="Advance"/> draws on the
    /// host, so a failing draw ends only its own sample or step while the forward's tokens stay in.
    /// </summary>
    public bool DrawOnHost { get; set; }

    /// <summary>Ends the job with <paramref name="error"/> (its own forward failed, the model went away); no-op once done.</summary>
    public void Fail(Exception error)
    {
        if (!Done)
        {
            Done = true;
            OnFail(error);
        }
    }

    /// <summary>Ends the job because the caller cancelled it or its deadline passed; no-op once done.</summary>
    public void Cancel()
    {
        if (!Done)
        {
            Done = true;
            OnCancel();
        }
    }

    /// <summary>Delivers <paramref name="error"/> to the caller.</summary>
    protected abstract void OnFail(Exception error);

    /// <summary>Tells the caller the job stopped on its cancellation.</summary>
    protected abstract void OnCancel();

    /// <summary>Frees every sequence the job still holds.</summary>
    public abstract void Release(MocoKvCache cache);
}
