using MoCo.Native.Inference;
using MoCo.Native.Kernels;
using MoCo.Native.Models;

namespace MoCo.Inference.Scheduling;

/// <summary>Per-token log-probs of a continuation (Score CONTINUATION): raw, untempered log-softmax.</summary>
/// <param name="Logprobs">Each continuation token's log-prob given everything before it.</param>
/// <param name="MaxLogprobs">Each position's largest log-prob.</param>
/// <param name="ArgmaxIds">Each position's best id (lowest on ties).</param>
/// <param name="Sum">Sum of <paramref name="Logprobs"/> in double.</param>
internal sealed record ContinuationScores(float[] Logprobs, float[] MaxLogprobs, int[] ArgmaxIds, double Sum);

/// <summary>
/// Score CONTINUATION on one sequence: prompt and continuation fed in chunks (the last token never, nothing follows
/// it); chunks never straddle the prompt's last position, so only the rows that predict continuation tokens are asked
/// for, and each chunk's rows are reduced as soon as the forward returns (at most <see cref="MaxRows"/> rows of
/// vocabulary are held, whatever the continuation's length).
/// </summary>
internal sealed class ScoreJob : UnaryJob<ContinuationScores>
{
    private const int MaxRows = 64;
    private readonly int[] _tokens;
    private readonly int _firstRow;
    private readonly int _vocab;
    private readonly MocoAdapter? _adapter;
    private readonly float[] _logits;
    private readonly float[] _logprobs;
    private readonly float[] _max;
    private readonly int[] _argmax;
    private readonly int[] _top = new int[1];
    private readonly float[] _topValue = new float[1];
    private int _sequence = -1;
    private int _fed;
    private int _chunk;

    public ScoreJob(IReadOnlyList<int> prompt, IReadOnlyList<int> continuation, ModelInfo model, MocoAdapter? adapter, CancellationToken cancellation)
        : base(cancellation)
    {
        _tokens = [.. prompt, .. continuation];
        _firstRow = prompt.Count - 1;
        _vocab = model.OutputSize;
        _adapter = adapter;
        _logits = new float[Math.Min(MaxRows, continuation.Count) * _vocab];
        _logprobs = new float[continuation.Count];
        _max = new float[continuation.Count];
        _argmax = new int[continuation.Count];
    }

    private int ToFeed => _tokens.Length - 1;

    public override int SequencesNeeded => 1;

    public override bool HasPlanned => _chunk > 0;

    public override int BlocksNeeded(int blockTokens) => Ceil(ToFeed, blockTokens);

    public override void Start(MocoKvCache cache) => _sequence = cache.CreateSequence();

    public override int PlanPrefill(int budget)
    {
        var end = Math.Min(_fed + budget, ToFeed);
        _chunk = _fed < _firstRow ? Math.Min(end, _firstRow) - _fed : Math.Min(end - _fed, MaxRows);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        var scored = _fed >= _firstRow;
        batch.Add(_sequence, _tokens.AsMemory(_fed, _chunk), scored ? OutputMode.All : OutputMode.None,
            scored ? _logits.AsMemory(0, _chunk * _vocab) : Memory<float>.Empty, _adapter);
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        if (_fed >= _firstRow)
        {
            Logits.LogSoftmax(_logits, _chunk, _vocab, _logits);
            for (var r = 0; r < _chunk; r++)
            {
                var j = _fed + r - _firstRow;
                var row = _logits.AsSpan(r * _vocab, _vocab);
                Logits.TopK(row, 1, _vocab, 1, _top, _topValue);
                _logprobs[j] = row[_tokens[_fed + r + 1]];
                (_max[j], _argmax[j]) = (_topValue[0], _top[0]);
            }
        }
        _fed += _chunk;
        _chunk = 0;
        if (_fed == ToFeed)
        {
            Complete(new ContinuationScores(_logprobs, _max, _argmax, _logprobs.Sum(l => (double)l)));
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
