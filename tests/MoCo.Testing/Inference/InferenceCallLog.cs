using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace MoCo.Testing.Inference;

/// <summary>Every call an <see cref="InferenceHost"/> received, in arrival order, with its request: what a test
/// counts to prove a call was (or was not) made, or reads to see exactly what a client sent.</summary>
public sealed class InferenceCallLog
{
    private readonly ConcurrentQueue<(string Rpc, IMessage Request)> _calls = new();

    /// <summary>How many <paramref name="rpc"/> calls arrived ("Generate", "Score", "ModelInfo"…).</summary>
    public int Count(string rpc) => _calls.Count(c => c.Rpc == rpc);

    /// <summary>The requests of every call whose request type is <typeparamref name="T"/>, in arrival order.</summary>
    public IReadOnlyList<T> Requests<T>() where T : IMessage => [.. _calls.Select(c => c.Request).OfType<T>()];

    internal void Add(string method, IMessage request) => _calls.Enqueue((method[(method.LastIndexOf('/') + 1)..], request));

    /// <summary>Records unary and server-streaming calls (the shapes of every InferenceService RPC) before they run.</summary>
    internal sealed class Recorder(InferenceCallLog log) : Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
            UnaryServerMethod<TRequest, TResponse> continuation)
        {
            log.Add(context.Method, (IMessage)request);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
            ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            log.Add(context.Method, (IMessage)request);
            return continuation(request, responseStream, context);
        }
    }
}
