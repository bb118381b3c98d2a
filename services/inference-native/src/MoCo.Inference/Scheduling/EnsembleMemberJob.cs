using MoCo.Inference.Registry;
using MoCo.Native.Inference;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// One member of a GenerateEnsemble call on its model's loop: prefills the prompt once, forks it for the other
/// samples (copy-on-write, as Generate), then each step feeds the tokens the <see cref="EnsembleRun"/> drew and
/// reports its rows. Admission reserves the worst case, as for Generate, so a member never runs out of blocks mid-run.
/// </summary>
internal sealed class EnsembleMemberJob : SchedulerJob
{
    private readonly EnsembleRun _run;
    private readonly int _index;
    private readonly ServedModel _model;
    private readonly int[] _prompt;
    private readonly int _maxNewTokens;
    private readonly float[] _logits;
    private readonly int[] _sequences;
    private readonly int[] _next;
    private List<(int Sample, int Token)> _decoding = [];
    private int _prefilled;
    private int _chunk;

    public EnsembleMemberJob(EnsembleRun run, int index, ServedModel model, int[] prompt, int maxNewTokens, CancellationToken cancellation)
        : base(cancellation)
    {
        _run = run;
        _index = index;
        _model = model;
        _prompt = prompt;
        _maxNewTokens = maxNewTokens;
        Width = model.Info.OutputSize;
        _logits = new float[run.Samples * Width];
        _sequences = [.. Enumerable.Repeat(-1, run.Samples)];
        _next = new int[run.Samples];
    }

    /// <summary>The member's head width: the stride of its rows.</summary>
    public int Width { get; }

    /// <summary>The loop the member runs on.</summary>
    public ModelScheduler Scheduler => _model.Base.Scheduler;

    public override int SequencesNeeded => _sequences.Length;

    public override bool HasPlanned => _chunk > 0 || _decoding.Count > 0;

    // As GenerateJob: the prompt's blocks once, plus each sample's own blocks.
    public override int BlocksNeeded(int blockTokens)
    {
        var longest = _prompt.Length + Math.Max(_maxNewTokens - 1, 0);
        var own = Ceil(longest, blockTokens) - _prompt.Length / blockTokens;
        return Ceil(_prompt.Length, blockTokens) + _sequences.Length * own;
    }

    /// <summary>Sample <paramref name="sample"/>'s last row (read by the run while this member waits to be fed).</summary>
    public ReadOnlyMemory<float> Row(int sample) => _logits.AsMemory(sample * Width, Width);

    public override void Start(MocoKvCache cache) => _sequences[0] = cache.CreateSequence();

    public override int PlanDecode()
    {
        if (_run.Finished)
        {
            Done = true;
            return 0;
        }
        if (_prefilled < _prompt.Length)
        {
            return 0;
        }
        _decoding = _run.TakeFeed(_index) ?? [];
        return _decoding.Count;
    }

    public override int PlanPrefill(int budget)
    {
        _chunk = Done ? 0 : Math.Min(budget, _prompt.Length - _prefilled);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        if (_chunk > 0)
        {
            var last = _prefilled + _chunk == _prompt.Length;
            batch.Add(_sequences[0], _prompt.AsMemory(_prefilled, _chunk), last ? OutputMode.Last : OutputMode.None, Row0(), _model.Adapter);
        }
        foreach (var (sample, token) in _decoding)
        {
            _next[sample] = token;
            batch.Add(_sequences[sample], _next.AsMemory(sample, 1), OutputMode.Last, _logits.AsMemory(sample * Width, Width), _model.Adapter);
        }
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        if (_chunk > 0)
        {
            _prefilled += _chunk;
            _chunk = 0;
            if (_prefilled == _prompt.Length)
            {
                // Every sample draws its first token from the prompt's row.
                for (var s = 1; s < _sequences.Length; s++)
                {
                    _sequences[s] = cache.Fork(_sequences[0]);
                    Row(0).CopyTo(_logits.AsMemory(s * Width, Width));
                }
                _run.Report();
            }
        }
        if (_decoding.Count > 0)
        {
            _decoding = [];
            _run.Report();
        }
    }

    public override void Release(MocoKvCache cache)
    {
        foreach (var sequence in _sequences.Where(s => s >= 0))
        {
            cache.Free(sequence);
        }
    }

    protected override void OnFail(Exception error) => _run.Fail(error);

    protected override void OnCancel() => _run.Cancel(Cancellation);

    private Memory<float> Row0() => _logits.AsMemory(0, Width);

    private static int Ceil(int tokens, int blockTokens) => (tokens + blockTokens - 1) / blockTokens;
}
