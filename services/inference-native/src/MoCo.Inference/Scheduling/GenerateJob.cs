using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Serving;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// A Generate call: the prompt is prefilled once in chunks on one sequence, the n-1 other samples fork it (sharing
/// its blocks copy-on-write), and every sample draws its first token from the prompt's last logits row with its own
/// sample index; then each sample feeds its last token per step. Messages go to a channel the RPC drains, so the
/// loop never waits on a client.
/// </summary>
/// <remarks>
/// Tokens are drawn in the forward call (<see cref="SampleRequest"/>), so the logits rows come back only where a
/// report reads them: raw logprobs, and the prompt's row the forks (samples 1..n-1) draw their first token from on
/// the host. Processed logprobs get their rows from the draw itself.
/// </remarks>
internal sealed class GenerateJob : SchedulerJob
{
    private readonly GenerateSettings _call;
    private readonly MocoAdapter? _adapter;
    private readonly int[] _prompt;
    private readonly int _vocab;
    private readonly GenerationSample[] _samples;
    private readonly float[] _logits;
    private readonly float[] _processed;
    private readonly TokenLogprobs? _logprobs;
    private readonly Channel<GenerateResponse> _out = Channel.CreateUnbounded<GenerateResponse>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<GenerationSample> _decoding = [];
    private int _promptSequence = -1;
    private int _prefilled;
    private int _chunk;

    public GenerateJob(GenerateSettings call, ModelInfo model, MocoAdapter? adapter, CancellationToken cancellation)
        : base(cancellation)
    {
        _call = call;
        _adapter = adapter;
        _prompt = [.. call.Request.Prompt.TokenIds];
        _vocab = model.OutputSize;
        _samples = [.. Enumerable.Range(0, call.Request.Samples).Select(i => new GenerationSample(call, i))];
        _logits = new float[_samples.Length * _vocab];
        _logprobs = call.Request.Logprobs.Enabled ? new TokenLogprobs(call.Request.Logprobs, _vocab) : null;
        _processed = _logprobs is { ReadsRaw: false } ? new float[_samples.Length * _vocab] : [];
    }

    /// <summary>The stream of deltas and finals; completes after the last final, or with the cancellation.</summary>
    public ChannelReader<GenerateResponse> Output => _out.Reader;

    public override int SequencesNeeded => _samples.Length;

    public override bool HasPlanned => _chunk > 0 || _decoding.Count > 0;

    // The prompt's blocks once, plus for each sample the blocks from its first unshared block to its longest length
    // (the prompt's partial last block is copied on a sample's first write).
    public override int BlocksNeeded(int blockTokens)
    {
        var longest = _prompt.Length + Math.Max(_call.Request.Sampling.MaxNewTokens - 1, 0);
        var own = Ceil(longest, blockTokens) - _prompt.Length / blockTokens;
        return Ceil(_prompt.Length, blockTokens) + _samples.Length * own;
    }

    public override void Start(MocoKvCache cache)
    {
        _promptSequence = cache.CreateSequence();
        _samples[0].Sequence = _promptSequence;
        if (_call.Request.Sampling.MaxNewTokens == 0)
        {
            // The prompt fills the context: every sample ends before drawing.
            foreach (var sample in _samples)
            {
                _out.Writer.TryWrite(sample.EndEmpty(FinishReason.Context));
            }
            Finish();
        }
    }

    public override int PlanDecode()
    {
        if (_prefilled < _prompt.Length)
        {
            return 0;
        }
        _decoding.AddRange(_samples.Where(s => !s.Finished));
        return _decoding.Count;
    }

    public override int PlanPrefill(int budget)
    {
        _chunk = Math.Min(budget, _prompt.Length - _prefilled);
        return _chunk;
    }

    public override void AddTo(ForwardBatch batch)
    {
        var rows = DrawOnHost || _logprobs is { ReadsRaw: true } ? OutputMode.Last : OutputMode.None;
        if (_chunk > 0)
        {
            var last = _prefilled + _chunk == _prompt.Length;
            // The prompt's row also serves the forks' first draws.
            var promptRow = _samples.Length > 1 ? OutputMode.Last : rows;
            batch.Add(_promptSequence, _prompt.AsMemory(_prefilled, _chunk), last ? promptRow : OutputMode.None, _logits.AsMemory(0, _vocab), _adapter,
                draw: last ? Request(_samples[0]) : null);
        }
        foreach (var sample in _decoding)
        {
            batch.Add(sample.Sequence, sample.Next, rows, Row(sample.Index), _adapter, draw: Request(sample));
        }
    }

    public override void Advance(MocoKvCache cache, ReadOnlySpan<int> drawn)
    {
        var entry = 0;
        if (_chunk > 0)
        {
            entry++;
            _prefilled += _chunk;
            _chunk = 0;
            if (_prefilled == _prompt.Length)
            {
                for (var i = 1; i < _samples.Length; i++)
                {
                    _samples[i].Sequence = cache.Fork(_promptSequence);
                }
                // Sample 0's token came with the forward; the forks draw theirs from the prompt's row here.
                foreach (var sample in _samples)
                {
                    Draw(sample, 0, sample.Index == 0 && !DrawOnHost ? drawn[0] : null);
                }
            }
        }
        foreach (var sample in _decoding)
        {
            Draw(sample, sample.Index, DrawOnHost ? null : drawn[entry]);
            entry++;
        }
        _decoding.Clear();
        if (_samples.All(s => s.Finished))
        {
            Finish();
        }
    }

    public override void Release(MocoKvCache cache)
    {
        foreach (var sequence in _samples.Select(s => s.Sequence).Append(_promptSequence).Where(s => s >= 0).Distinct())
        {
            cache.Free(sequence);
        }
    }

    protected override void OnFail(Exception error)
    {
        _chunk = 0;
        _decoding.Clear();
        if (_promptSequence < 0)
        {
            // Nothing streamed yet: the call itself fails with the status.
            _out.Writer.TryComplete(ServingErrors.From(error));
            return;
        }
        var status = Status(error);
        foreach (var sample in _samples.Where(s => !s.Finished))
        {
            Write(sample.EndWithError(status));
        }
        _out.Writer.TryComplete();
    }

    protected override void OnCancel() => _out.Writer.TryComplete(new OperationCanceledException(Cancellation));

    // The sample's draw in this step's forward; none while the loop retries this job with the draws on the host.
    private SampleRequest? Request(GenerationSample sample) =>
        DrawOnHost ? null : sample.Request(_processed.Length == 0 ? default : _processed.AsMemory(sample.Index * _vocab, _vocab));

    // Streams the token drawn in the forward, or draws it on the host from the logits row when there is none.
    // A failing draw (NUMERIC logits, a decoder error) ends that sample only.
    private void Draw(GenerationSample sample, int row, int? drawn)
    {
        var logits = _logits.AsSpan(row * _vocab, _vocab);
        var processed = _processed.Length == 0 ? default : _processed.AsSpan(sample.Index * _vocab, _vocab);
        try
        {
            Write(drawn is { } token ? sample.Accept(token, logits, processed, _logprobs) : sample.Draw(logits, processed, _logprobs));
        }
        catch (Exception e)
        {
            Write(sample.EndWithError(Status(e)));
        }
    }

    private void Finish()
    {
        Done = true;
        _out.Writer.TryComplete();
    }

    private void Write(IEnumerable<GenerateResponse> messages)
    {
        foreach (var message in messages)
        {
            _out.Writer.TryWrite(message);
        }
    }

    private Memory<float> Row(int index) => _logits.AsMemory(index * _vocab, _vocab);

    private static Google.Rpc.Status Status(Exception error) =>
        ServingErrors.From(error).GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)StatusCode.Internal, Message = error.Message };

    private static int Ceil(int tokens, int blockTokens) => (tokens + blockTokens - 1) / blockTokens;
}
