using MoCo.Contracts.V1;
using MoCo.Inference.Serving;
using MoCo.Native.Inference;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// A Decode fork on its model's loop: a copy-on-write KV clone of the parent (no forward), answered with an ack.
/// It reserves a sequence slot and the child's blocks, which move to the child once it exists.
/// </summary>
internal sealed class DecodeForkJob : SchedulerJob
{
    private readonly DecodeSequence _parent;
    private readonly DecodeSequence _child;
    private readonly ulong _tag;
    private readonly Action<SeqResult, DecodeSequence?> _deliver;
    private readonly int _blocks;

    /// <param name="parent">The sequence forked.</param>
    /// <param name="child">The new sequence (<see cref="DecodeSequence.Fork"/>), without a KV sequence yet.</param>
    /// <param name="tag">The op's tag.</param>
    /// <param name="deliver">Receives the ack with the child, or the error with null (loop thread; must not block).</param>
    /// <param name="cancellation">The stream's lifetime.</param>
    public DecodeForkJob(DecodeSequence parent, DecodeSequence child, ulong tag, Action<SeqResult, DecodeSequence?> deliver, CancellationToken cancellation)
        : base(cancellation)
    {
        _parent = parent;
        _child = child;
        _tag = tag;
        _deliver = deliver;
        _blocks = DecodeSequence.BlocksFor(child.Tokens.Count, parent.Model.Base.Scheduler.BlockTokens);
    }

    public override int SequencesNeeded => 1;

    public override bool HasPlanned => false;

    public override int BlocksNeeded(int blockTokens) => _blocks;

    public override void Start(MocoKvCache cache)
    {
        _child.CacheId = cache.Fork(_parent.CacheId);
        _child.Reserve(_child.Tokens.Count, _parent.Model.Base.Scheduler.BlockTokens, _parent.Model.Base.Scheduler);
        Done = true;
        _deliver(new SeqResult { SeqId = _parent.Id, Tag = _tag, Ack = new SeqAck { Length = _child.Tokens.Count } }, _child);
    }

    public override int PlanPrefill(int budget) => 0;

    public override void AddTo(ForwardBatch batch)
    {
        // Never planned: a fork runs no forward.
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        // Never planned: a fork runs no forward.
    }

    // Start either completes the fork or throws before the child has a KV sequence: nothing to free.
    public override void Release(MocoKvCache cache)
    {
    }

    protected override void OnFail(Exception error) => _deliver(DecodeErrors.Result(_parent.Id, _tag, error), null);

    protected override void OnCancel()
    {
        // The stream is gone: nobody reads a result, and the stream's end frees the child if it was made.
    }
}
