using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>
/// Ensemble decoding over Decode streams (methods-logit-weight.md §3 "n Decode streams"): the path for members spread
/// over replicas, where GenerateEnsemble answers NOT_COLOCATED. The prompt is rendered and tokenised by the template
/// member (as GenerateEnsemble encodes it); every member opens one sequence per sample on its own replica with those
/// ids and reports its full f32 log-probs at every step; the orchestrator combines them (L2 or L3 + L4 over the first
/// V* = min head width ids) and draws with the engine's L5 stream (<see cref="LogitFusion"/>), then appends the token
/// to every member's sequence. A sample ends on the template member's EOS set, at max_new_tokens or at the tightest
/// member's context; the text is the template member's detokenisation without special tokens. Members step
/// concurrently, each on its own stream; the first to fail ends the call with its error and cancels the others. Before
/// the first call of a member set, every id below V* must read the same in every member's tokenizer and the members
/// must share their tokenizer EOS (L6), else INVALID_ARGUMENT.
/// </summary>
/// <param name="client">The inference service (a gateway routes each member's calls by model).</param>
public sealed class DecodeEnsembleBackend(InferenceService.InferenceServiceClient client) : IEnsembleBackend
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _vocabularies = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<GeneratedSample>> GenerateEnsembleAsync(EnsembleCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var started = Stopwatch.GetTimestamp();
        var spec = call.Spec;
        var infos = await Task.WhenAll(spec.Members.Select(m => client.ModelInfoAsync(new ModelInfoRequest { Model = m }, RoutingHeaders.For(m), cancellationToken: cancellationToken)
            .ResponseAsync)).ConfigureAwait(false);
        // The text side of each member: an adapter without a tokenizer of its own is served with its base's.
        var texts = spec.Members.Select((m, i) => infos[i].Summary is { Kind: ModelKind.Adapter, BaseModel: { Length: > 0 } b } ? b : m).ToList();
        var template = texts[spec.TemplateMember];
        var stops = StopIds(infos[spec.TemplateMember]);
        var eos = infos.Select(i => i.EosIds?.Tokenizer).ToList();
        if (eos.Distinct().Count() > 1)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"ensemble members do not share a stopping EOS: {string.Join(", ", spec.Members.Select((m, i) => $"'{m}' {eos[i]?.ToString(CultureInfo.InvariantCulture) ?? "none"}"))} (L6)"));
        }
        var context = infos.Min(i => i.Summary?.ContextLength is > 0 and var c ? c : int.MaxValue);
        var aligned = infos.Min(i => i.Summary?.VocabSize is > 0 and var v ? v : int.MaxValue);
        await _vocabularies.GetOrAdd(string.Join("\n", texts.Distinct(StringComparer.Ordinal)),
            _ => CheckVocabulariesAsync([.. texts.Distinct(StringComparer.Ordinal)], aligned, cancellationToken)).ConfigureAwait(false);

        var chat = new ChatPrompt { AssistantPrefill = call.Prefill };
        chat.Messages.Add(new ChatMessage { Role = "user", Content = call.Prompt });
        var tokenized = await client.TokenizeAsync(new TokenizeRequest { Model = template, Inputs = { new Prompt { Chat = chat } } }, RoutingHeaders.For(template),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        int[] prompt = [.. tokenized.Results[0].TokenIds];
        if (prompt.Length >= context)
        {
            throw new PromptTooLongException($"the prompt has {prompt.Length} tokens and the tightest member's context is {context}");
        }
        var maxNew = Math.Min(call.MaxNewTokens, context - prompt.Length);

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var members = spec.Members.Select(m => new MemberStream(client, m, abort.Token)).ToList();
        try
        {
            var samples = Enumerable.Range(0, call.Samples).Select(_ => new List<int>()).ToList();
            var reasons = new string?[call.Samples];
            var live = Enumerable.Range(0, call.Samples).ToList();
            var rows = await StepAllAsync(members.Select(m => m.OpenAsync(live, prompt)), abort).ConfigureAwait(false);
            var vocab = rows.SelectMany(r => r.Values).Min(r => r.Length);
            for (var t = 0; live.Count > 0; t++)
            {
                var next = new Dictionary<int, int>();
                foreach (var s in live)
                {
                    var combined = LogitFusion.Combine(spec, [.. rows.Select(r => r[s])], vocab);
                    var token = LogitFusion.Pick(combined, call.Temperature, call.Seed, (ulong)t, (ulong)s);
                    if (stops.Contains(token))
                    {
                        reasons[s] = "eos";
                        continue;
                    }
                    samples[s].Add(token);
                    if (samples[s].Count == maxNew)
                    {
                        reasons[s] = samples[s].Count == call.MaxNewTokens ? "length" : "context";
                        continue;
                    }
                    next[s] = token;
                }
                live = [.. next.Keys.Order()];
                if (live.Count > 0)
                {
                    rows = await StepAllAsync(members.Select(m => m.AppendAsync(next)), abort).ConfigureAwait(false);
                }
            }
            var decoded = await client.DetokenizeAsync(new DetokenizeRequest
            {
                Model = template,
                SkipSpecialTokens = true,
                Sequences = { samples.Select(s => new TokenIds { Ids = { s } }) },
            }, RoutingHeaders.For(template), cancellationToken: cancellationToken).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(started);
            var named = (await Task.WhenAll(members.Select(m => m.ReplicaAsync())).ConfigureAwait(false)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            var replicas = named.Count == 0 ? null : string.Join(",", named);
            return [.. samples.Select((s, i) => new GeneratedSample(decoded.Texts[i], reasons[i]!,
                new CallUsage(prompt.Length, s.Count + (reasons[i] == "eos" ? 1 : 0), latency, replicas)))];
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // Every member's step. The first member to fail cancels the others' streams and its error is the call's: a lost
    // replica ends the call at once, not after the slowest member's step (or never, where that member's replica hangs).
    private static async Task<Dictionary<int, float[]>[]> StepAllAsync(IEnumerable<Task<Dictionary<int, float[]>>> steps, CancellationTokenSource abort)
    {
        ExceptionDispatchInfo? first = null;
        async Task<Dictionary<int, float[]>> Watch(Task<Dictionary<int, float[]>> step)
        {
            try
            {
                return await step.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref first, ExceptionDispatchInfo.Capture(e), null);
                await abort.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
        try
        {
            return await Task.WhenAll(steps.Select(Watch)).ConfigureAwait(false);
        }
        catch (Exception) when (first is not null)
        {
            first.Throw();
            throw;
        }
    }

    // L6: every member's tokenizer maps each id below V* to the same token text (GenerateEnsemble checks the same
    // natively); checked once per member set.
    private async Task CheckVocabulariesAsync(IReadOnlyList<string> members, int aligned, CancellationToken cancellationToken)
    {
        var request = new DetokenizeRequest { SkipSpecialTokens = false };
        request.Sequences.AddRange(Enumerable.Range(0, aligned).Select(id => new TokenIds { Ids = { id } }));
        var texts = await Task.WhenAll(members.Select(async m =>
        {
            var one = request.Clone();
            one.Model = m;
            return (await client.DetokenizeAsync(one, RoutingHeaders.For(m), cancellationToken: cancellationToken).ConfigureAwait(false)).Texts;
        })).ConfigureAwait(false);
        for (var i = 1; i < members.Count; i++)
        {
            for (var id = 0; id < aligned; id++)
            {
                if (texts[i][id] != texts[0][id])
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"ensemble members '{members[0]}' and '{members[i]}' do not share a vocabulary: id {id} is '{texts[0][id]}' in one and '{texts[i][id]}' in the other (L6)"));
                }
            }
        }
    }

    // The EOS set GenerateEnsemble stops on by default (EOS_STOP_EOS_SET): the tokenizer's EOS and generation_config's.
    private static HashSet<int> StopIds(ModelInfoResponse info)
    {
        var ids = new HashSet<int>(info.EosIds?.GenerationConfig ?? []);
        if (info.EosIds?.Tokenizer is { } tokenizer)
        {
            ids.Add(tokenizer);
        }
        return ids;
    }

    // One member's Decode stream: one sequence per sample, full f32 log-probs at every step.
    private sealed class MemberStream(InferenceService.InferenceServiceClient client, string model, CancellationToken cancellationToken) : IAsyncDisposable
    {
        private readonly AsyncDuplexStreamingCall<DecodeRequest, DecodeResponse> _stream = client.Decode(RoutingHeaders.For(model), cancellationToken: cancellationToken);

        public Task<Dictionary<int, float[]>> OpenAsync(IReadOnlyList<int> samples, int[] prompt)
        {
            var request = new DecodeRequest();
            request.Ops.AddRange(samples.Select(s => new SeqOp
            {
                SeqId = Id(s),
                Open = new OpenOp
                {
                    Model = model,
                    Prompt = new Prompt { Tokens = new TokenIds { Ids = { prompt } } },
                    Outputs = new StepOutputs { FullLogprobs = true, FullLogprobsDtype = DType.F32 },
                },
            }));
            return ExchangeAsync(request, samples.Count);
        }

        /// <summary>The replica this member's stream runs on, as its response headers name it.</summary>
        public async Task<string?> ReplicaAsync() => RoutingHeaders.ReplicaOf(await _stream.ResponseHeadersAsync.ConfigureAwait(false));

        public Task<Dictionary<int, float[]>> AppendAsync(IReadOnlyDictionary<int, int> tokens)
        {
            var request = new DecodeRequest();
            request.Ops.AddRange(tokens.Select(p => new SeqOp { SeqId = Id(p.Key), Append = new AppendOp { TokenIds = { p.Value } } }));
            return ExchangeAsync(request, tokens.Count);
        }

        public async ValueTask DisposeAsync()
        {
            // A cancelled call (the caller's, or a member's failure) is only disposed, which ends the stream.
            if (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await _stream.RequestStream.CompleteAsync().ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // The stream already ended (an error answered it).
                }
            }
            _stream.Dispose();
        }

        // Sends the ops and reads until each has its step; a failed op fails the call with its status.
        private async Task<Dictionary<int, float[]>> ExchangeAsync(DecodeRequest request, int expected)
        {
            await _stream.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            var rows = new Dictionary<int, float[]>();
            while (rows.Count < expected)
            {
                if (!await _stream.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    throw new RpcException(new Status(StatusCode.Internal, $"Decode on {model} ended before answering every op"));
                }
                foreach (var result in _stream.ResponseStream.Current.Results)
                {
                    if (result.ResultCase == SeqResult.ResultOneofCase.Error)
                    {
                        throw new RpcException(new Status((StatusCode)result.Error.Code, $"Decode on {model}, sequence {result.SeqId}: {result.Error.Message}"));
                    }
                    if (result.ResultCase == SeqResult.ResultOneofCase.Step)
                    {
                        var packed = result.Step.Logprobs;
                        rows[int.Parse(result.SeqId.AsSpan(1), CultureInfo.InvariantCulture)] = MemoryMarshal.Cast<byte, float>(packed.Data.Span).ToArray();
                    }
                }
            }
            return rows;
        }

        private static string Id(int sample) => "s" + sample.ToString(CultureInfo.InvariantCulture);
    }
}
