using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>A TEST DOUBLE of the inference service's Embed: each text's vector is 8 values hashed from it, L2-normalised;
/// the response says a decoder stood in for the encoder. Every request is recorded.</summary>
public sealed class ScriptedEmbedder : RefusingCallInvoker
{
    public ConcurrentQueue<EmbedRequest> Requests { get; } = new();

    public static float[] Vector(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var raw = Enumerable.Range(0, 8).Select(i => hash[i] / 255f - 0.5f).ToArray();
        var norm = MathF.Sqrt(raw.Sum(v => v * v));
        return [.. raw.Select(v => v / norm)];
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        if (request is not EmbedRequest embed)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName));
        }
        Requests.Enqueue(embed);
        var response = new EmbedResponse { Dim = 8, Substituted = true };
        response.Vectors.AddRange(embed.Texts.Select(t =>
        {
            var vector = new EmbeddingVector();
            vector.Values.AddRange(Vector(t));
            return vector;
        }));
        return new AsyncUnaryCall<TResponse>(Task.FromResult((TResponse)(object)response), Task.FromResult(new Metadata()), () => Status.DefaultSuccess,
            () => [], () => { });
    }
}
