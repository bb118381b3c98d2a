using MoCo.Contracts.V1;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// Embed: each input fed in chunks on one sequence, one input after another, the final-norm hidden states pooled as
/// they arrive (sums in double): MEAN over the input's tokens, LAST the last token's state, MEAN_PADDED the input
/// followed by pad tokens up to pad_to, averaged over all pad_to positions.
/// </summary>
/// <remarks>libmoco has no attention mask, so under MEAN_PADDED the pads are real tokens of a causal model: they
/// attend to the text and to the pads before them, where the reference's masked pads attend to the text only.</remarks>
internal sealed class EmbedJob : UnaryJob<float[][]>
{
    private readonly IReadOnlyList<int[]> _inputs;
    private readonly Pooling _pooling;
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

    public EmbedJob(IReadOnlyList<int[]> inputs, Pooling pooling, bool normalize, ModelInfo model, MocoAdapter? adapter, CancellationToken cancellation)
        : base(cancellation)
    {
        _inputs = inputs;
        _pooling = pooling;
        _normalize = normalize;
        _hidden = model.HiddenSize;
        _adapter = adapter;
        _chunkLimit = 64;
        _states = new float[_chunkLimit * _hidden];
        _sum = new double[_hidden];
        _vectors = new float[inputs.Count][];
    }

    public override int SequencesNeeded => 1;

    public override bool HasPlanned => _chunk > 0;

    public override int BlocksNeeded(int blockTokens) => Ceil(_inputs.Max(i => i.Length), blockTokens);

    public override void Start(MocoKvCache cache) => _sequence = cache.CreateSequence();

    public override int PlanPrefill(int budget)
    {
        _chunk = Math.Min(Math.Min(budget, _chunkLimit), _inputs[_input].Length - _fed);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        var last = _fed + _chunk == _inputs[_input].Length;
        var mode = _pooling == Pooling.Last ? (last ? OutputMode.Last : OutputMode.None) : OutputMode.All;
        var rows = mode == OutputMode.All ? _chunk : mode == OutputMode.Last ? 1 : 0;
        batch.Add(_sequence, _inputs[_input].AsMemory(_fed, _chunk), OutputMode.None, Memory<float>.Empty, _adapter, mode, _states.AsMemory(0, rows * _hidden));
    }

    public override void Advance(MocoKvCache cache)
    {
        var input = _inputs[_input];
        var last = _fed + _chunk == input.Length;
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
        _vectors[_input] = Pool(_pooling == Pooling.Last ? 1 : input.Length);
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
