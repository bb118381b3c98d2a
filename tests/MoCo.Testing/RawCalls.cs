using Google.Protobuf.Reflection;
using Grpc.Core;

namespace MoCo.Testing;

/// <summary>
/// Calls any RPC of a service descriptor with an empty request message, whatever its streaming kind, and
/// returns the status it ends with — so a test can sweep every RPC of a contract without a client per method.
/// </summary>
public static class RawCalls
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>The final status of calling <paramref name="method"/> with an empty message (and, for client
    /// streams, an immediately completed request stream).</summary>
    public static async Task<Status> CallEmptyAsync(CallInvoker invoker, MethodDescriptor method, Metadata? headers = null)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var grpcMethod = new Method<byte[], byte[]>(type, method.Service.FullName, method.Name, Bytes, Bytes);
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(30));
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(grpcMethod, null, options, []);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(grpcMethod, null, options, []))
                    {
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }
                    break;
                case MethodType.ClientStreaming:
                    using (var call = invoker.AsyncClientStreamingCall(grpcMethod, null, options))
                    {
                        await call.RequestStream.CompleteAsync();
                        await call;
                    }
                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(grpcMethod, null, options))
                    {
                        await call.RequestStream.CompleteAsync();
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }
                    break;
            }
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }
}
