using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using MoCo.Contracts.V1;

namespace MoCo.Contracts.Affinity;

/// <summary>
/// Sends <c>moco-replica</c> for pinned models, learns pins from the responses that make or describe run-time models,
/// and repeats a unary or server-streaming call once after the model it lost was rebuilt. Client- and bidirectional
/// streams (WriteModel, Train, Decode) cannot be replayed from here: they carry the pin and fail as they are, and the
/// caller that holds their requests repeats them (<see cref="ReplicaAffinity.RepeatAfterRebuildAsync"/>).
/// </summary>
internal sealed class ReplicaAffinityInterceptor(ReplicaAffinity affinity) : Interceptor
{
    private readonly ReplicaAffinity _affinity = affinity;

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, Pinned(context).Context);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var (sent, model, epoch) = Pinned(context);
        var current = continuation(request, sent);
        async Task<TResponse> RespondAsync()
        {
            TResponse response;
            try
            {
                response = await current.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (Missing(e, model) is { } lost)
            {
                if (!await _affinity.RecoverAsync(lost, epoch, sent.Options.CancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
                current.Dispose();
                current = continuation(request, Pinned(context).Context);
                response = await current.ResponseAsync.ConfigureAwait(false);
            }
            await LearnAsync(response, current.ResponseHeadersAsync).ConfigureAwait(false);
            return response;
        }
        // The state-taking overload reads the current call when asked: after a repeat, headers and status are the repeat's.
        return new AsyncUnaryCall<TResponse>(RespondAsync(), _ => current.ResponseHeadersAsync, _ => current.GetStatus(), _ => current.GetTrailers(),
            _ => current.Dispose(), null!);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var (sent, model, epoch) = Pinned(context);
        var reader = new RepeatingReader<TResponse>(this, continuation(request, sent), model, epoch, sent.Options.CancellationToken,
            () => continuation(request, Pinned(context).Context));
        return new AsyncServerStreamingCall<TResponse>(reader, _ => reader.Call.ResponseHeadersAsync, _ => reader.Call.GetStatus(),
            _ => reader.Call.GetTrailers(), _ => reader.Call.Dispose(), null!);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context,
        AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(Pinned(context).Context);
        async Task<TResponse> RespondAsync()
        {
            var response = await call.ResponseAsync.ConfigureAwait(false);
            await LearnAsync(response, call.ResponseHeadersAsync).ConfigureAwait(false);
            return response;
        }
        return new AsyncClientStreamingCall<TRequest, TResponse>(call.RequestStream, RespondAsync(), call.ResponseHeadersAsync, call.GetStatus,
            call.GetTrailers, call.Dispose);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context,
        AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(Pinned(context).Context);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call.RequestStream, new LearningReader<TResponse>(this, call.ResponseStream, call.ResponseHeadersAsync),
            call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    // The call with moco-replica added when its model is pinned (a header the caller set stays), the model it names, and
    // the epoch it was sent at. The caller's Metadata is copied, not changed: callers reuse theirs.
    private (ClientInterceptorContext<TRequest, TResponse> Context, string? Model, long Epoch) Pinned<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        var epoch = _affinity.Epoch;
        var headers = context.Options.Headers;
        var model = headers?.GetValue(RoutingHeaders.Model);
        if (model is null || headers!.GetValue(RoutingHeaders.Replica) is not null || _affinity.ReplicaOf(model) is not { } replica)
        {
            return (context, model, epoch);
        }
        var pinned = new Metadata();
        foreach (var entry in headers)
        {
            pinned.Add(entry);
        }
        pinned.Add(RoutingHeaders.Replica, replica);
        return (new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(pinned)), model, epoch);
    }

    // The model a NOT_FOUND lost: the one its MODEL_NOT_FOUND names (a merge input, an ensemble member), else the one
    // the call is routed by; null for any other error.
    internal static string? Missing(RpcException e, string? routedBy)
    {
        if (e.StatusCode != StatusCode.NotFound)
        {
            return null;
        }
        var info = e.GetRpcStatus()?.GetDetail<ErrorInfo>();
        if (info is not null && info.Reason != "MODEL_NOT_FOUND")
        {
            return null;
        }
        return info?.Metadata.TryGetValue("model", out var named) == true && named.Length > 0 ? named : routedBy;
    }

    // Pins the models a response made or describes as run-time models to the replica that answered.
    private async Task LearnAsync<TResponse>(TResponse response, Task<Metadata> headers)
    {
        string[] made = response switch
        {
            MergeResponse merge => [merge.ModelId, merge.VelocityModelId],
            WriteModelResponse written => [written.ModelId],
            TrainResponse { PayloadCase: TrainResponse.PayloadOneofCase.Done } train => [train.Done.ModelId],
            ModelInfoResponse { Summary.Origin: ModelOrigin.Runtime } info => [info.Summary.Id],
            LoadModelResponse { Summary.Origin: ModelOrigin.Runtime } load => [load.Summary.Id],
            _ => [],
        };
        if (made.All(string.IsNullOrEmpty) || RoutingHeaders.ReplicaOf(await headers.ConfigureAwait(false)) is not { } replica)
        {
            return;
        }
        foreach (var model in made.Where(m => m.Length > 0))
        {
            _affinity.Pin(model, replica);
        }
    }

    // A server stream that, when its first read fails with the model missing, waits for the rebuild and reads a repeat of
    // the call instead; once a message has arrived an error stands (the caller has seen part of the answer).
    private sealed class RepeatingReader<TResponse>(ReplicaAffinityInterceptor owner, AsyncServerStreamingCall<TResponse> first, string? model, long epoch,
        CancellationToken cancellationToken, Func<AsyncServerStreamingCall<TResponse>> repeat) : IAsyncStreamReader<TResponse>
    {
        private bool _received;
        private bool _repeated;

        public AsyncServerStreamingCall<TResponse> Call { get; private set; } = first;

        public TResponse Current => Call.ResponseStream.Current;

        public async Task<bool> MoveNext(CancellationToken token)
        {
            try
            {
                var more = await Call.ResponseStream.MoveNext(token).ConfigureAwait(false);
                _received |= more;
                return more;
            }
            catch (RpcException e) when (!_received && !_repeated && Missing(e, model) is { } lost)
            {
                if (!await owner._affinity.RecoverAsync(lost, epoch, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
                _repeated = true;
                Call.Dispose();
                Call = repeat();
                return await MoveNext(token).ConfigureAwait(false);
            }
        }
    }

    // A duplex stream's reader that learns from what it reads (Train's done message names the trained model).
    private sealed class LearningReader<TResponse>(ReplicaAffinityInterceptor owner, IAsyncStreamReader<TResponse> inner, Task<Metadata> headers)
        : IAsyncStreamReader<TResponse>
    {
        public TResponse Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
            await owner.LearnAsync(inner.Current, headers).ConfigureAwait(false);
            return true;
        }
    }
}
