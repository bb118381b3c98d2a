using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Serving;
using MoCo.Inference.Tests.Ensemble;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Decode;

/// <summary>An <see cref="InferenceHost"/> over <see cref="GoldenModels"/> of its own, so the KV statistics the Decode
/// tests check see only their traffic; a deeper queue and a larger cache than the default, since one Decode stream
/// queues an op per sequence.</summary>
public sealed class DecodeHost : IAsyncLifetime
{
    private InferenceHost _host = null!;

    public GoldenModels Models { get; } = new();

    public InferenceService.InferenceServiceClient Client => _host.Client;

    public ModelRegistry Registry => _host.Service.App.Services.GetRequiredService<ModelRegistry>();

    public DecodeCall Decode => _host.Service.App.Services.GetRequiredService<DecodeCall>();

    public async Task InitializeAsync()
    {
        EnsembleModels.Write(Models);
        _host = await InferenceHost.StartAsync(Models.Root, ("Moco:Inference:KvCacheTokens", "4096"), ("Moco:Inference:MaxQueuedRequests", "256"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Models.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DecodeCollection : ICollectionFixture<DecodeHost>
{
    public const string Name = "decode host";
}

/// <summary>A Decode stream driven one op at a time: each call sends ops and reads the results they must produce.</summary>
public sealed class DecodeSession(AsyncDuplexStreamingCall<DecodeRequest, DecodeResponse> call) : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(1);
    private readonly Queue<SeqResult> _ready = new();
    private ulong _tag;

    /// <summary>Sends <paramref name="ops"/> in one message (tags numbered) and reads one result per op.</summary>
    public async Task<List<SeqResult>> SendAsync(params SeqOp[] ops)
    {
        var request = new DecodeRequest();
        foreach (var op in ops)
        {
            op.Tag = ++_tag;
            request.Ops.Add(op);
        }
        // Bounded, sending included, so an op the service never takes or never answers fails its test with the op's name
        // instead of hanging the run.
        using var deadline = new CancellationTokenSource(AnswerTimeout);
        await SendBoundedAsync(request, deadline, ops);
        var results = new List<SeqResult>();
        while (results.Count < ops.Length)
        {
            if (_ready.Count == 0)
            {
                bool more;
                try
                {
                    more = await call.ResponseStream.MoveNext(deadline.Token);
                }
                catch (Exception e) when (deadline.IsCancellationRequested && e is RpcException or OperationCanceledException)
                {
                    var waiting = ops.Skip(results.Count).Select(o => $"{o.OpCase} of '{o.SeqId}' (tag {o.Tag})");
                    throw new TimeoutException($"no answer within {AnswerTimeout.TotalSeconds:0} s to {string.Join(", ", waiting)}", e);
                }
                Assert.True(more, "the stream ended before every op was answered");
                foreach (var r in call.ResponseStream.Current.Results)
                {
                    _ready.Enqueue(r);
                }
            }
            results.Add(_ready.Dequeue());
        }
        return results;
    }

    /// <summary>Sends <paramref name="op"/> without waiting for its result.</summary>
    public async Task SendOnlyAsync(SeqOp op)
    {
        op.Tag = ++_tag;
        using var deadline = new CancellationTokenSource(AnswerTimeout);
        await SendBoundedAsync(new DecodeRequest { Ops = { op } }, deadline, op);
    }

    private async Task SendBoundedAsync(DecodeRequest request, CancellationTokenSource deadline, params SeqOp[] ops)
    {
        try
        {
            await call.RequestStream.WriteAsync(request, deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            throw new TimeoutException($"could not send within {AnswerTimeout.TotalSeconds:0} s: {string.Join(", ", ops.Select(o => $"{o.OpCase} of '{o.SeqId}' (tag {o.Tag})"))}", e);
        }
    }

    /// <summary>One op, one result.</summary>
    public async Task<SeqResult> OneAsync(SeqOp op) => (await SendAsync(op))[0];

    /// <summary>The step of one op, failing on an error.</summary>
    public async Task<DecodeStep> StepAsync(SeqOp op)
    {
        var result = await OneAsync(op);
        Assert.True(result.ResultCase == SeqResult.ResultOneofCase.Step, $"{op.SeqId}: {result.Error}");
        return result.Step;
    }

    /// <summary>Ends the stream normally and reads it to its end.</summary>
    public async Task CompleteAsync()
    {
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext())
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        call.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Op builders.</summary>
public static class Ops
{
    public static SeqOp Open(string id, string model, IEnumerable<int> prompt, StepOutputs outputs, SamplingParams? sampling = null, ulong? seed = null)
    {
        var open = new OpenOp { Model = model, Prompt = new Prompt { Tokens = new TokenIds() }, Outputs = outputs, Sampling = sampling };
        open.Prompt.Tokens.Ids.Add(prompt);
        if (seed is { } s)
        {
            open.Seed = s;
        }
        return new SeqOp { SeqId = id, Open = open };
    }

    public static SeqOp Append(string id, params int[] tokens)
    {
        var append = new AppendOp();
        append.TokenIds.Add(tokens);
        return new SeqOp { SeqId = id, Append = append };
    }

    public static SeqOp Truncate(string id, int length) => new() { SeqId = id, Truncate = new TruncateOp { Length = length } };

    public static SeqOp Fork(string id, string child) => new() { SeqId = id, Fork = new ForkOp { NewSeqId = child } };

    public static SeqOp Close(string id) => new() { SeqId = id, Close = new CloseOp() };
}
