using System.Collections.Concurrent;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;

namespace MoCo.Router.Decoding;

/// <summary><see cref="IDecodeBackend"/> over moco.v1.InferenceService: ModelInfo (EOS ids, cached), Tokenize,
/// Detokenize and Decode streams. <paramref name="address"/> maps a model name to the id the service knows.</summary>
public sealed class GrpcDecodeBackend(InferenceService.InferenceServiceClient client, Func<string, string>? address = null) : IDecodeBackend
{
    private readonly ConcurrentDictionary<string, Task<IReadOnlySet<int>>> _eos = new(StringComparer.Ordinal);

    private string Address(string model) => address?.Invoke(model) ?? model;

    private Metadata Headers(string model) => RoutingHeaders.For(Address(model));

    /// <inheritdoc/>
    public Task<IReadOnlySet<int>> EosAsync(string model, CancellationToken cancellationToken) => _eos.GetOrAdd(model, async m =>
    {
        var info = await client.ModelInfoAsync(new ModelInfoRequest { Model = Address(m) }, Headers(m), cancellationToken: cancellationToken).ConfigureAwait(false);
        var set = new HashSet<int>(info.EosIds?.GenerationConfig ?? []);
        if (info.EosIds?.Tokenizer is { } tokenizer)
        {
            set.Add(tokenizer);
        }
        return set;
    });

    /// <inheritdoc/>
    public async Task<string> RenderAsync(string model, string user, CancellationToken cancellationToken)
    {
        var chat = new ChatPrompt();
        chat.Messages.Add(new ChatMessage { Role = "user", Content = user });
        var request = new TokenizeRequest { Model = Address(model) };
        request.Inputs.Add(new Prompt { Chat = chat });
        var response = await client.TokenizeAsync(request, Headers(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Results[0].RenderedText;
    }

    /// <inheritdoc/>
    public async Task<(int[] Ids, string Text)> TokenizeChatAsync(string model, IReadOnlyList<ChatTurn> messages, bool generationPrompt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chat = new ChatPrompt { AddGenerationPrompt = generationPrompt };
        chat.Messages.Add(messages.Select(m => new ChatMessage { Role = m.Role, Content = m.Content }));
        var request = new TokenizeRequest { Model = Address(model) };
        request.Inputs.Add(new Prompt { Chat = chat });
        var response = await client.TokenizeAsync(request, Headers(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return ([.. response.Results[0].TokenIds], response.Results[0].RenderedText);
    }

    /// <inheritdoc/>
    public async Task<int[]> TokenizeAsync(string model, string text, bool special, CancellationToken cancellationToken)
    {
        var request = new TokenizeRequest
        {
            Model = Address(model),
            InputSettings = new InputSettings { Bos = special ? BosMode.Single : BosMode.None },
            AddSpecialTokens = special,
        };
        request.Inputs.Add(new Prompt { Text = text });
        var response = await client.TokenizeAsync(request, Headers(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. response.Results[0].TokenIds];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> DetokenizeAsync(string model, IReadOnlyList<int[]> sequences, bool skipSpecial, CancellationToken cancellationToken)
    {
        var request = new DetokenizeRequest { Model = Address(model), SkipSpecialTokens = skipSpecial };
        request.Sequences.AddRange(sequences.Select(s =>
        {
            var ids = new TokenIds();
            ids.Ids.AddRange(s);
            return ids;
        }));
        var response = await client.DetokenizeAsync(request, Headers(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. response.Texts];
    }

    /// <inheritdoc/>
    public IDecodeSession OpenSession(CancellationToken cancellationToken) => new Session(client.Decode(cancellationToken: cancellationToken), Address);

    // Ops are written under a lock; a reader task routes each result to the op's waiter by tag.
    private sealed class Session : IDecodeSession
    {
        private readonly AsyncDuplexStreamingCall<DecodeRequest, DecodeResponse> _call;
        private readonly Func<string, string> _address;
        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<SeqResult>> _waiting = new();
        private readonly SemaphoreSlim _write = new(1, 1);
        private readonly Task _reader;
        private long _tag;

        public Session(AsyncDuplexStreamingCall<DecodeRequest, DecodeResponse> call, Func<string, string> address)
        {
            (_call, _address) = (call, address);
            _reader = Task.Run(ReadAsync);
        }

        public async Task<DecodeStep> OpenAsync(string seq, string model, IReadOnlyList<int> tokens, StepOutputs outputs, double temperature, ulong seed)
        {
            var prompt = new TokenIds();
            prompt.Ids.AddRange(tokens);
            var open = new OpenOp
            {
                Model = _address(model),
                Prompt = new Prompt { Tokens = prompt },
                Outputs = outputs,
                Sampling = new SamplingParams { Temperature = (float)temperature, DoSample = temperature > 0, TopP = 1f, TopK = 0 },
                Seed = seed,
            };
            return (await SendAsync(new SeqOp { SeqId = seq, Open = open }).ConfigureAwait(false)).Step;
        }

        public async Task<DecodeStep> AppendAsync(string seq, IReadOnlyList<int> tokens)
        {
            var append = new AppendOp();
            append.TokenIds.AddRange(tokens);
            return (await SendAsync(new SeqOp { SeqId = seq, Append = append }).ConfigureAwait(false)).Step;
        }

        public async Task<DecodeStep> TruncateAsync(string seq, int length) =>
            (await SendAsync(new SeqOp { SeqId = seq, Truncate = new TruncateOp { Length = length } }).ConfigureAwait(false)).Step;

        public Task CloseAsync(string seq) => SendAsync(new SeqOp { SeqId = seq, Close = new CloseOp() });

        private async Task<SeqResult> SendAsync(SeqOp op)
        {
            op.Tag = (ulong)Interlocked.Increment(ref _tag);
            var waiter = new TaskCompletionSource<SeqResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[op.Tag] = waiter;
            await _write.WaitAsync().ConfigureAwait(false);
            try
            {
                await _call.RequestStream.WriteAsync(new DecodeRequest { Ops = { op } }).ConfigureAwait(false);
            }
            finally
            {
                _write.Release();
            }
            var result = await waiter.Task.ConfigureAwait(false);
            if (result.ResultCase == SeqResult.ResultOneofCase.Error)
            {
                throw new RpcException(new Status((StatusCode)result.Error.Code, $"Decode {op.OpCase} on sequence {op.SeqId}: {result.Error.Message}"));
            }
            return result;
        }

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var message in _call.ResponseStream.ReadAllAsync().ConfigureAwait(false))
                {
                    foreach (var result in message.Results)
                    {
                        if (_waiting.TryRemove(result.Tag, out var waiter))
                        {
                            waiter.SetResult(result);
                        }
                    }
                }
                Fail(new RpcException(new Status(StatusCode.Internal, "the Decode stream ended with ops unanswered")));
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
            {
                Fail(e);
            }
        }

        private void Fail(Exception e)
        {
            foreach (var tag in _waiting.Keys)
            {
                if (_waiting.TryRemove(tag, out var waiter))
                {
                    waiter.TrySetException(e);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
                await _reader.ConfigureAwait(false);
            }
            finally
            {
                _call.Dispose();
                _write.Dispose();
            }
        }
    }
}
