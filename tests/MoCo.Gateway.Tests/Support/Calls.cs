using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts;
using MoCo.Gateway.Tests.Fakes;
using MoCo.Hosting;

namespace MoCo.Gateway.Tests.Support;

/// <summary>A unary Echo to one stand-in service, with the response headers the gateway added.</summary>
internal sealed record EchoResult(GatewayTestReply Reply, Metadata Headers)
{
    /// <summary>The backend instance that answered: moco-served-by holds the gateway's value and the backend's.</summary>
    public string AnsweredBy => Headers.Where(h => h.Key == ServedBy.Header)
        .SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries))
        .Single(v => !v.StartsWith("gateway@", StringComparison.Ordinal));

    /// <summary>The moco-replica header, or null.</summary>
    public string? Replica => Headers.GetValue(RoutingHeaders.Replica);
}

internal static class Calls
{
    public static async Task<EchoResult> EchoAsync(this GrpcChannel channel, GatewayBackend backend, string text = "hello",
        string? model = null, string? replica = null)
    {
        var headers = new Metadata();
        if (model is not null)
        {
            headers.Add(RoutingHeaders.Model, model);
        }
        if (replica is not null)
        {
            headers.Add(RoutingHeaders.Replica, replica);
        }
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(10));
        var request = new GatewayTestRequest { Text = text };
        using var call = backend.Key switch
        {
            "inference" => new InferenceService.InferenceServiceClient(channel).EchoAsync(request, options),
            "router" => new RouterService.RouterServiceClient(channel).EchoAsync(request, options),
            "evaluator" => new EvaluatorService.EvaluatorServiceClient(channel).EchoAsync(request, options),
            "orchestrator" => new OrchestratorService.OrchestratorServiceClient(channel).EchoAsync(request, options),
            _ => throw new ArgumentOutOfRangeException(nameof(backend), backend.Key, "not a backend"),
        };
        var responseHeaders = await call.ResponseHeadersAsync;
        return new EchoResult(await call.ResponseAsync, responseHeaders);
    }
}
