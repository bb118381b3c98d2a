using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Serving;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// One GenerateEnsemble call in lock-step: each member runs as an <see cref="EnsembleMemberJob"/> on its own model's
/// loop, and a step completes when every member has reported its rows for it. The last member to report combines
/// them (<see cref="EnsembleCombiner"/>) and draws each live sample's token with the L5 stream on its own thread,
/// then hands every member the tokens to feed and wakes their loops. Members never wait on each other inside a loop:
/// a member with nothing to feed plans nothing, and its loop sleeps until woken.
/// </summary>
internal sealed class EnsembleRun
{
    private readonly object _gate = new();
    private readonly EnsembleCombiner _combiner;
    private readonly GenerationSample[] _samples;
    private readonly float[] _combined;
    private readonly float[] _processed;
    private readonly TokenLogprobs? _logprobs;
    private readonly Channel<GenerateEnsembleResponse> _out = Channel.CreateUnbounded<GenerateEnsembleResponse>(new UnboundedChannelOptions { SingleReader = true });
    private EnsembleMemberJob[] _members = [];
    private int _reported;
    private bool[] _fed = [];

    public EnsembleRun(GenerateSettings call, EnsembleCombiner combiner)
    {
        _combiner = combiner;
        _samples = [.. Enumerable.Range(0, call.Request.Samples).Select(i => new GenerationSample(call, i))];
        _combined = new float[combiner.AlignedVocab];
        _processed = new float[combiner.AlignedVocab];
        _logprobs = call.Request.Logprobs.Enabled ? new TokenLogprobs(call.Request.Logprobs, combiner.AlignedVocab) : null;
    }

    /// <summary>Deltas and finals; completes after the last final, or with the error or cancellation.</summary>
    public ChannelReader<GenerateEnsembleResponse> Output => _out.Reader;

    /// <summary>True once every sample has its final, or the run failed: members stop.</summary>
    public bool Finished { get; private set; }

    /// <summary>Samples of the call.</summary>
    public int Samples => _samples.Length;

    /// <summary>Sets the members (before any is queued).</summary>
    public void Attach(EnsembleMemberJob[] members)
    {
        _members = members;
        // Nothing to take before the first combine: the members prefill the prompt first.
        _fed = [.. members.Select(_ => true)];
    }

    /// <summary>The tokens member <paramref name="member"/> feeds this step, one per live sample (index, token), or
    /// null while the other members have not finished the previous step (member's loop thread).</summary>
    public List<(int Sample, int Token)>? TakeFeed(int member)
    {
        lock (_gate)
        {
            if (Finished || _fed[member])
            {
                return null;
            }
            _fed[member] = true;
            return [.. _samples.Where(s => !s.Finished).Select(s => (s.Index, s.Next[0]))];
        }
    }

    /// <summary>A member finished the current step's forward; the last one combines and draws (member's loop thread).</summary>
    public void Report()
    {
        lock (_gate)
        {
            if (Finished || ++_reported < _members.Length)
            {
                return;
            }
            _reported = 0;
            Draw();
            Array.Clear(_fed);
        }
        WakeAll();
    }

    /// <summary>Ends the call with <paramref name="error"/> (a member's forward failed, its model was unloaded).</summary>
    public void Fail(Exception error)
    {
        lock (_gate)
        {
            if (Finished)
            {
                return;
            }
            Finished = true;
            var status = ServingErrors.From(error).GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)StatusCode.Internal, Message = error.Message };
            foreach (var sample in _samples.Where(s => !s.Finished))
            {
                Write(sample.EndWithError(status));
            }
            _out.Writer.TryComplete();
        }
        WakeAll();
    }

    /// <summary>Ends the call because the caller went away.</summary>
    public void Cancel(CancellationToken cancellation)
    {
        lock (_gate)
        {
            Finished = true;
            _out.Writer.TryComplete(new OperationCanceledException(cancellation));
        }
        WakeAll();
    }

    // Under _gate: every member's rows are stable, since none forwards again before it is fed.
    private void Draw()
    {
        var widths = _members.Select(m => m.Width).ToArray();
        foreach (var sample in _samples.Where(s => !s.Finished))
        {
            try
            {
                _combiner.Combine([.. _members.Select(m => m.Row(sample.Index))], widths, _combined);
                Write(sample.Draw(_combined, _processed, _logprobs));
            }
            catch (Exception e)
            {
                Write(sample.EndWithError(ServingErrors.From(e).GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)StatusCode.Internal, Message = e.Message }));
            }
        }
        if (_samples.All(s => s.Finished))
        {
            Finished = true;
            _out.Writer.TryComplete();
        }
    }

    private void Write(IEnumerable<GenerateResponse> messages)
    {
        foreach (var message in messages)
        {
            _out.Writer.TryWrite(message.PayloadCase == GenerateResponse.PayloadOneofCase.Delta
                ? new GenerateEnsembleResponse { Delta = message.Delta }
                : new GenerateEnsembleResponse { Final = message.Final });
        }
    }

    // Outside _gate: a loop may hold its own lock while calling into this run (a cancellation), so waking a loop under
    // _gate could deadlock.
    private void WakeAll()
    {
        foreach (var scheduler in _members.Select(m => m.Scheduler).Distinct())
        {
            scheduler.Wake();
        }
    }
}
