using MoCo.Contracts.V1;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// Embed: each input fed in chunks on one sequence, one input after another, the final-norm hidden states pooled as
/// they arrive (sums in double): MEAN over the input's tokens, LAST the last token's state, MEAN_PADDED the input
/// followed by pad tokens up to pad_to, averaged over all pad_to positions.
/// </summary>
/// <remarks>MEAN_PADDED's pads carry attention_mask 0 in the reference: each pad attends to the text only (not to
/// itself nor the other pads) while positions run on. They are fed after the text, in later forward calls, with
/// attendPrefix = the text's length.</remarks>
internal sealed class EmbedJob : UnaryJob<float[][]>
{
    private readonly IReadOnlyList<int[]> _inputs;
    private readonly Pooling _pooling;
    private readonly int _padTo;
    private readonly int[] _pads;
    private readonly bool _normalize;
    private readonly int _hidden;
    private readonly MocoAdapter? _adapter;
    private readonly float[] _states;
    private readonly double[] _sum;
    private readonly float[][] _vectors;
    private readonly int _chunkLimit;
    private int _input;
    private int _sequence = -1;
    private int _fed;
    private int _chunk;

    /// <param name="inputs">Each text's ids; under MEAN_PADDED none longer than <paramref name="padTo"/>.</param>
    /// <param name="padTo">MEAN_PADDED's padded length (ignored otherwise).</param>
    /// <param name="pad">The pad token id MEAN_PADDED appends.</param>
    public EmbedJob(IReadOnlyList<int[]> inputs, Pooling pooling, int padTo, int pad, bool normalize, ModelInfo model, MocoAdapter? adapter, CancellationToken cancellation)
        : base(cancellation)
    {
        _inputs = inputs;
        _pooling = pooling;
        _padTo = padTo;
        _normalize = normalize;
        _hidden = model.HiddenSize;
        _adapter = adapter;
        _chunkLimit = 64;
        // A pad chunk is a slice of this: at most _chunkLimit pads per call.
        _pads = pooling == Pooling.MeanPadded ? Enumerable.Repeat(pad, Math.Min(padTo, _chunkLimit)).ToArray() : [];
        _states = new float[_chunkLimit * _hidden];
        _sum = new double[_hidden];
        _vectors = new float[inputs.Count][];
    }

    public override int SequencesNeeded => 1;

    public override bool HasPlanned => _chunk > 0;

    public override int BlocksNeeded(int blockTokens) => Ceil(_pooling == Pooling.MeanPadded ? _padTo : _inputs.Max(i => i.Length), blockTokens);

    public override void Start(MocoKvCache cache) => _sequence = cache.CreateSequence();

    /// <summary>The positions the current input is pooled over: its text, then pads up to pad_to under MEAN_PADDED.</summary>
    private int Positions => _pooling == Pooling.MeanPadded ? _padTo : _inputs[_input].Length;

    public override int PlanPrefill(int budget)
    {
        // A chunk is all text or all pads: the pads attend differently, so they start in the call after the text's last.
        var text = _inputs[_input].Length;
        var end = _fed < text ? text : Positions;
        _chunk = Math.Min(Math.Min(budget, _chunkLimit), end - _fed);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        var text = _inputs[_input];
        var last = _fed + _chunk == Positions;
        var mode = _pooling == Pooling.Last ? (last ? OutputMode.Last : OutputMode.None) : OutputMode.All;
        var rows = mode == OutputMode.All ? _chunk : mode == OutputMode.Last ? 1 : 0;
        var pads = _fed >= text.Length;
        var tokens = pads ? _pads.AsMemory(0, _chunk) : text.AsMemory(_fed, _chunk);
        batch.Add(_sequence, tokens, OutputMode.None, Memory<float>.Empty, _adapter, mode, _states.AsMemory(0, rows * _hidden), pads ? text.Length : 0);
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        var last = _fed + _chunk == Positions;
        var rows = _pooling == Pooling.Last ? (last ? 1 : 0) : _chunk;
        for (var r = 0; r < rows; r++)
        {
            for (var h = 0; h < _hidden; h++)
            {
                _sum[h] += _states[r * _hidden + h];
            }
        }
        _fed += _chunk;
        _chunk = 0;
        if (!last)
        {
            return;
        }
        _vectors[_input] = Pool(_pooling == Pooling.Last ? 1 : Positions);
        Array.Clear(_sum);
        _fed = 0;
        cache.Truncate(_sequence, 0);
        if (++_input == _inputs.Count)
        {
            Complete(_vectors);
        }
    }

    public override void Release(MocoKvCache cache)
    {
        if (_sequence >= 0)
        {
            cache.Free(_sequence);
        }
    }

    private float[] Pool(int count)
    {
        var vector = new double[_hidden];
        for (var h = 0; h < _hidden; h++)
        {
            vector[h] = _sum[h] / count;
        }
        var norm = _normalize ? Math.Sqrt(vector.Sum(v => v * v)) : 1;
        return [.. vector.Select(v => (float)(norm > 0 ? v / norm : v))];
    }
}
