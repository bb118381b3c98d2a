using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace MoCo.Hosting.Errors;

/// <summary>
/// The last line of every RPC: a cancelled caller gets CANCELLED, a passed deadline DEADLINE_EXCEEDED,
/// a mapped library exception its status, and anything else INTERNAL with the defect logged — never a raw
/// exception text that would leak a stack trace to clients.
/// </summary>
internal sealed class ErrorInterceptor(IEnumerable<IExceptionStatusMapper> mappers, IEnumerable<PendingCapabilities> pending,
    ILogger<ErrorInterceptor> logger) : Interceptor
{
    private readonly IExceptionStatusMapper[] _mappers = mappers.ToArray();
    private readonly PendingCapabilities[] _pending = pending.ToArray();

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (NeedsTranslation(e))
        {
            throw Translate(e, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (NeedsTranslation(e))
        {
            throw Translate(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (NeedsTranslation(e))
        {
            throw Translate(e, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (NeedsTranslation(e))
        {
            throw Translate(e, context);
        }
    }

    // A bare UNIMPLEMENTED (empty detail) comes from a generated base class: the RPC is not built yet.
    private static bool NeedsTranslation(Exception e) =>
        e is not RpcException rpc || (rpc.StatusCode == StatusCode.Unimplemented && string.IsNullOrEmpty(rpc.Status.Detail));

    private RpcException Translate(Exception e, ServerCallContext context)
    {
        if (e is RpcException)
        {
            var rpc = context.Method.TrimStart('/');
            var missing = _pending.Select(p => p.For(context.Method)).FirstOrDefault(m => m is not null);
            return MocoErrors.Unimplemented(rpc, missing ?? "a capability this build does not have");
        }
        if (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return context.Deadline <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, $"{context.Method}: the deadline passed; work stopped"))
                : new RpcException(new Status(StatusCode.Cancelled, $"{context.Method}: cancelled by the caller"));
        }
        foreach (var mapper in _mappers)
        {
            if (mapper.Map(e) is { } mapped)
            {
                return mapped;
            }
        }
        logger.LogError(e, "Unhandled exception in {Method}", context.Method);
        return new RpcException(new Status(StatusCode.Internal,
            $"{context.Method}: internal error ({e.GetType().Name}); the server log has the details"));
    }
}
