using MoCo.Contracts.V1;
using MoCo.Inference.Serving;
using MoCo.Native.Inference;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// A Decode open, append or truncate on its model's loop: feeds the new tokens (an open's prompt in prefill chunks,
/// an append's tokens, a truncate's last kept token again after cutting the KV before it, since the next-token
/// outputs need that position's row), then answers with exactly one step. It batches with every other job of the
/// loop; the forward is deterministic whatever the batch, so a step never depends on it.
/// </summary>
/// <remarks>
/// Reserves the blocks the sequence needs beyond what it already keeps; on success that reservation moves to the
/// sequence (<see cref="DecodeSequence.Reserve"/>). A failed or cancelled open frees its new KV sequence; a failed
/// append or truncate cuts the KV back to the tokens the sequence records, so the sequence stays usable.
/// </remarks>
internal sealed class DecodeStepJob : SchedulerJob
{
    private readonly DecodeSequence _sequence;
    private readonly ModelScheduler _scheduler;
    private readonly ulong _tag;
    private readonly Action<SeqResult> _deliver;
    private readonly bool _open;
    private readonly int _truncateTo;
    private readonly int[] _feed;
    private readonly int _blocks;
    private readonly int _length;
    private readonly int _blockTokens;
    private readonly float[] _logits;
    private readonly float[] _hidden;
    private int _fed;
    private int _chunk;

    /// <param name="sequence">The sequence (an open's is new, without a KV sequence yet).</param>
    /// <param name="tag">The op's tag, echoed.</param>
    /// <param name="open">True for an open: the sequence's tokens are its prompt, fed from scratch.</param>
    /// <param name="append">Tokens an append adds; empty otherwise.</param>
    /// <param name="truncateTo">A truncate's length (≥ 1); 0 otherwise.</param>
    /// <param name="deliver">Receives the result (loop thread; must not block).</param>
    /// <param name="cancellation">The stream's lifetime.</param>
    public DecodeStepJob(DecodeSequence sequence, ulong tag, bool open, IReadOnlyList<int> append, int truncateTo, Action<SeqResult> deliver,
        CancellationToken cancellation)
        : base(cancellation)
    {
        _sequence = sequence;
        _scheduler = sequence.Model.Base.Scheduler;
        _tag = tag;
        _deliver = deliver;
        _open = open;
        _truncateTo = truncateTo;
        _feed = open ? [.. sequence.Tokens] : truncateTo > 0 ? [sequence.Tokens[truncateTo - 1]] : [.. append];
        _length = open ? sequence.Tokens.Count : truncateTo > 0 ? truncateTo : sequence.Tokens.Count + append.Count;
        _blockTokens = _scheduler.BlockTokens;
        // Read once: admission and retirement must see the same number.
        _blocks = Math.Max(DecodeSequence.BlocksFor(_length, _blockTokens) - sequence.ReservedBlocks, 0);
        var info = sequence.Model.Info;
        _logits = new float[info.OutputSize];
        _hidden = new float[sequence.Outputs.HiddenState ? info.HiddenSize : 0];
    }

    public override int SequencesNeeded => _open ? 1 : 0;

    public override bool HasPlanned => _chunk > 0;

    public override int BlocksNeeded(int blockTokens) => _blocks;

    public override void Start(MocoKvCache cache)
    {
        if (_open)
        {
            _sequence.CacheId = cache.CreateSequence();
            // Tokens are recorded once fed, so Release can tell a finished op from a failed one by the count.
            _sequence.Tokens.Clear();
        }
        else if (_truncateTo > 0)
        {
            cache.Truncate(_sequence.CacheId, _truncateTo - 1);
            _sequence.Tokens.RemoveRange(_truncateTo - 1, _sequence.Tokens.Count - (_truncateTo - 1));
        }
    }

    public override int PlanPrefill(int budget)
    {
        _chunk = Math.Min(budget, _feed.Length - _fed);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        var last = _fed + _chunk == _feed.Length;
        var outputs = _sequence.Outputs;
        var hidden = last && _hidden.Length > 0 ? OutputMode.Last : OutputMode.None;
        // The row comes back only for the outputs that read it, or for a draw the loop retries on the host.
        var logits = last && (DecodeOutputs.ReadsLogits(outputs) || (outputs.Draw && DrawOnHost)) ? OutputMode.Last : OutputMode.None;
        // The sequence's tokens once this op's are in (an open's were cleared in Start, so they are its prompt).
        var draw = last && outputs.Draw && !DrawOnHost ? DecodeOutputs.Request(_sequence, [.. _sequence.Tokens, .. _feed]) : (SampleRequest?)null;
        batch.Add(_sequence.CacheId, _feed.AsMemory(_fed, _chunk), logits, _logits, _sequence.Model.Adapter, hidden, _hidden, draw: draw);
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        _fed += _chunk;
        _chunk = 0;
        if (_fed < _feed.Length)
        {
            return;
        }
        int? token = _sequence.Outputs.Draw && !DrawOnHost ? drawn[0] : null;
        _sequence.Tokens.AddRange(_feed);
        _sequence.Reserve(_length, _blockTokens, _scheduler);
        Done = true;
        try
        {
            _deliver(new SeqResult { SeqId = _sequence.Id, Tag = _tag, Step = DecodeOutputs.Build(_sequence, _logits, _hidden, token) });
        }
        catch (Exception e)
        {
            // The tokens are in: only this step's outputs failed (a NUMERIC row), and the sequence stays open.
            _deliver(DecodeErrors.Result(_sequence.Id, _tag, e));
        }
    }

    public override void Release(MocoKvCache cache)
    {
        if (_sequence.Tokens.Count == _length || _sequence.CacheId < 0)
        {
            return;
        }
        if (_open)
        {
            // A failed open leaves no sequence; its reservation was only the job's.
            cache.Free(_sequence.CacheId);
            _sequence.CacheId = -1;
        }
        else
        {
            cache.Truncate(_sequence.CacheId, _sequence.Tokens.Count);
        }
    }

    protected override void OnFail(Exception error)
    {
        _chunk = 0;
        _deliver(DecodeErrors.Result(_sequence.Id, _tag, error));
    }

    // The stream is gone: nobody reads a result.
    protected override void OnCancel() => _chunk = 0;
}
