using Grpc.Core;
using Grpc.Core.Interceptors;

namespace MoCo.Hosting.Security;

/// <summary>
/// A host's own token check, for a service called directly rather than through the gateway (the code sandbox, which
/// only the evaluator calls): every call of the services it is added to must bear <c>authorization: Bearer</c> with a
/// token of <paramref name="tokens"/>, else UNAUTHENTICATED naming <paramref name="clientSetting"/> (where callers
/// put the token) and <paramref name="serverSetting"/> (the file it must be in). Health and reflection stay open.
/// </summary>
public sealed class BearerTokenInterceptor(BearerTokens tokens, string clientSetting, string serverSetting) : Interceptor
{
    /// <inheritdoc/>
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    /// <inheritdoc/>
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc/>
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc/>
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (!tokens.Required)
        {
            return;
        }
        var presented = BearerTokens.Presented(context.RequestHeaders.GetValue("authorization"));
        if (presented is not null && tokens.Accepts(presented))
        {
            return;
        }
        throw new RpcException(new Status(StatusCode.Unauthenticated, presented is null
            ? $"this service needs a bearer token: set {clientSetting} to a token of its {serverSetting}"
            : $"the bearer token is not one this service accepts: check {clientSetting} against {serverSetting}"));
    }
}
