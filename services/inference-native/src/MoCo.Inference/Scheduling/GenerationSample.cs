using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Inference.Requests;
using MoCo.Models.Tokenization;
using MoCo.Native.Inference;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// One of a Generate call's n samples: its sequence, its draw counter, its text and stop state. Each token is drawn
/// with the L5 stream (seed, tokens generated so far, sample index), so the token never depends on the batch.
/// </summary>
internal sealed class GenerationSample
{
    private readonly GenerateSettings _call;
    // Prompt then generated ids (the repetition penalty's history): an array, so a device draw can pin it.
    private int[] _history;
    private int _historyLength;
    private readonly List<int> _generated = [];
    private readonly IncrementalDecoder _decoder;
    private readonly StopTextStream _text;

    public GenerationSample(GenerateSettings call, int index)
    {
        _call = call;
        Index = index;
        _history = [.. call.Request.Prompt.TokenIds];
        _historyLength = _history.Length;
        _decoder = call.Tokenizer.CreateIncrementalDecoder(call.Request.Stop.SkipSpecialTokens);
        _text = new StopTextStream(call.Request.Stop.StopStrings, call.Request.Stop.IncludeStop);
    }

    /// <summary>Sample index.</summary>
    public int Index { get; }

    /// <summary>The sample's KV sequence, -1 before it has one.</summary>
    public int Sequence { get; set; } = -1;

    /// <summary>The last drawn token: what the next step feeds.</summary>
    public int[] Next { get; } = new int[1];

    /// <summary>True once the final is sent.</summary>
    public bool Finished { get; private set; }

    /// <summary>Draws the next token from <paramref name="logits"/> and streams it; <paramref name="processed"/> is scratch.</summary>
    /// <returns>The messages to send: a delta, and a final when the sample ended.</returns>
    public IEnumerable<GenerateResponse> Draw(ReadOnlySpan<float> logits, Span<float> processed, TokenLogprobs? logprobs)
    {
        var token = Sampling.Sample(logits, _call.Options, _history.AsSpan(0, _historyLength), _call.Request.Seed,
            (ulong)_generated.Count, (ulong)Index, processed);
        return Accept(token, logits, processed, logprobs);
    }

    /// <summary>
    /// The device draw of the next token (<see cref="MocoKvCache.ForwardSample"/>), exactly <see cref="Draw"/>'s:
    /// valid until the sample's next token; <paramref name="processed"/> is empty or a row receiving the processed logits.
    /// </summary>
    public SampleRequest Request(Memory<float> processed) =>
        new(_call.Options, _history.AsMemory(0, _historyLength), _call.Request.Seed, (ulong)_generated.Count, (ulong)Index, processed);

    /// <summary>Streams <paramref name="token"/>: drawn by <see cref="Draw"/>, or on the device from <see cref="Request"/>.</summary>
    /// <param name="token">The drawn id.</param>
    /// <param name="logits">The raw row (read only for raw logprobs).</param>
    /// <param name="processed">The processed row (read only for processed logprobs).</param>
    /// <param name="logprobs">The job's logprob report, or null.</param>
    /// <returns>The messages to send: a delta, and a final when the sample ended.</returns>
    public IEnumerable<GenerateResponse> Accept(int token, ReadOnlySpan<float> logits, ReadOnlySpan<float> processed, TokenLogprobs? logprobs)
    {
        var delta = new GenerateDelta { SampleIndex = Index };
        delta.TokenIds.Add(token);
        if (logprobs is not null)
        {
            delta.Logprobs.Add(logprobs.Report(token, logits, processed));
        }
        _generated.Add(token);
        if (_historyLength == _history.Length)
        {
            Array.Resize(ref _history, Math.Max(2 * _history.Length, 16));
        }
        _history[_historyLength++] = token;
        Next[0] = token;

        delta.Text = _text.Append(_decoder.Add(token));
        var reason = FinishReasonAfter(token);
        if (reason is null)
        {
            return [new GenerateResponse { Delta = delta }];
        }
        delta.Text += _text.Append(_decoder.Flush()) + _text.Finish();
        return [new GenerateResponse { Delta = delta }, Final(_text.Match is null ? reason.Value : FinishReason.StopString, StopMatch(token, reason.Value))];
    }

    /// <summary>The final of a sample that ends before drawing anything (the prompt fills the context).</summary>
    public GenerateResponse EndEmpty(FinishReason reason) => Final(reason, "");

    /// <summary>The end of a sample that failed: a delta releasing held text, then a final ERROR with the status.</summary>
    public IEnumerable<GenerateResponse> EndWithError(Google.Rpc.Status status)
    {
        var rest = _text.Finish();
        var final = Final(FinishReason.Error, "");
        final.Final.Error = status;
        return rest.Length == 0 ? [final] : [new GenerateResponse { Delta = new GenerateDelta { SampleIndex = Index, Text = rest } }, final];
    }

    private FinishReason? FinishReasonAfter(int token)
    {
        var stop = _call.Request.Stop;
        if (_text.Match is not null)
        {
            return FinishReason.StopString;
        }
        if (stop.EosIds.Contains(token))
        {
            return FinishReason.Eos;
        }
        if (stop.StopTokenIds.Contains(token))
        {
            return FinishReason.StopToken;
        }
        if (_call.PromptTokens + _generated.Count >= _call.ContextLength)
        {
            return FinishReason.Context;
        }
        return _generated.Count >= _call.Request.Sampling.MaxNewTokens ? FinishReason.Length : null;
    }

    private string StopMatch(int token, FinishReason reason) => _text.Match ?? (reason == FinishReason.StopToken
        ? _call.Tokenizer.Decode([token], skipSpecialTokens: false, cleanUpSpaces: false)
        : "");

    private GenerateResponse Final(FinishReason reason, string stopMatch)
    {
        Finished = true;
        var final = new GenerateFinal
        {
            SampleIndex = Index,
            Text = _text.Text,
            FinishReason = reason,
            StopMatch = stopMatch,
            Usage = new Usage
            {
                PromptTokens = _call.PromptTokens,
                CompletionTokens = _generated.Count,
                // Samples after the first reuse the prompt's KV blocks through Fork.
                CachedPromptTokens = Index == 0 ? 0 : _call.PromptTokens,
                Latency = Duration.FromTimeSpan(Stopwatch.GetElapsedTime(_call.Received)),
            },
        };
        final.TokenIds.Add(_generated);
        return new GenerateResponse { Final = final };
    }
}
