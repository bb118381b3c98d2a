using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Inference.Scheduling;

/// <summary>Score CLASSIFICATION: the conversation fed in chunks, the head's values at its last token.</summary>
internal sealed class ClassifyJob(IReadOnlyList<int> tokens, ModelInfo model, MocoAdapter? adapter, CancellationToken cancellation)
    : UnaryJob<float[]>(cancellation)
{
    private readonly int[] _tokens = [.. tokens];
    private readonly float[] _values = new float[model.OutputSize];
    private int _sequence = -1;
    private int _fed;
    private int _chunk;

    public override int SequencesNeeded => 1;

    public override bool HasPlanned => _chunk > 0;

    public override int BlocksNeeded(int blockTokens) => Ceil(_tokens.Length, blockTokens);

    public override void Start(MocoKvCache cache) => _sequence = cache.CreateSequence();

    public override int PlanPrefill(int budget)
    {
        _chunk = Math.Min(budget, _tokens.Length - _fed);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        var last = _fed + _chunk == _tokens.Length;
        batch.Add(_sequence, _tokens.AsMemory(_fed, _chunk), last ? OutputMode.Last : OutputMode.None, last ? _values : Memory<float>.Empty, adapter);
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        _fed += _chunk;
        _chunk = 0;
        if (_fed == _tokens.Length)
        {
            Complete(_values);
        }
    }

    public override void Release(MocoKvCache cache)
    {
        if (_sequence >= 0)
        {
            cache.Free(_sequence);
        }
    }
}
