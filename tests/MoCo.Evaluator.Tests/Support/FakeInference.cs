using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MoCo.Contracts;
using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Tests.Support;

/// <summary>
/// A SUBSTITUTE inference service served by the tests: tiny rule-based stand-ins for the verifier, the reward model
/// and the encoder behind the real moco.v1.InferenceService contract, so the evaluator's judge mechanics (requests,
/// prompts, caching, errors) are tested over gRPC. Mechanics, not quality: no real model runs. An RPC without a
/// behaviour answers UNIMPLEMENTED, as today's inference service does.
/// </summary>
public sealed class FakeInference : InferenceService.InferenceServiceBase
{
    /// <summary>Models ModelInfo knows; others are NOT_FOUND.</summary>
    public HashSet<string> Models { get; } = [];

    /// <summary>Generate's behaviour: the sample's text; null = UNIMPLEMENTED.</summary>
    public Func<GenerateRequest, string>? OnGenerate { get; set; }

    /// <summary>Score's behaviour; null = UNIMPLEMENTED.</summary>
    public Func<ScoreRequest, ScoreResponse>? OnScore { get; set; }

    /// <summary>Embed's behaviour; null = UNIMPLEMENTED.</summary>
    public Func<EmbedRequest, EmbedResponse>? OnEmbed { get; set; }

    /// <summary>Every Generate request received.</summary>
    public ConcurrentQueue<GenerateRequest> Generated { get; } = new();

    /// <summary>Every Score request received.</summary>
    public ConcurrentQueue<ScoreRequest> Scored { get; } = new();

    /// <summary>Every Embed request received.</summary>
    public ConcurrentQueue<EmbedRequest> Embedded { get; } = new();

    /// <summary>The `moco-model` header of every call.</summary>
    public ConcurrentQueue<string> ModelHeaders { get; } = new();

    /// <inheritdoc/>
    public override Task<ModelInfoResponse> ModelInfo(ModelInfoRequest request, ServerCallContext context) =>
        Models.Contains(request.Model)
            ? Task.FromResult(new ModelInfoResponse { Summary = new ModelSummary { Id = request.Model } })
            : throw new RpcException(new Status(StatusCode.NotFound, $"model {request.Model} not found"));

    /// <inheritdoc/>
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        Record(context);
        Generated.Enqueue(request);
        var text = (OnGenerate ?? throw Unimplemented("Generate"))(request);
        await responseStream.WriteAsync(new GenerateResponse { Header = new GenerateHeader { ModelId = request.Model } });
        await responseStream.WriteAsync(new GenerateResponse { Final = new GenerateFinal { Text = text, FinishReason = FinishReason.Eos } });
    }

    /// <inheritdoc/>
    public override Task<ScoreResponse> Score(ScoreRequest request, ServerCallContext context)
    {
        Record(context);
        Scored.Enqueue(request);
        return Task.FromResult((OnScore ?? throw Unimplemented("Score"))(request));
    }

    /// <inheritdoc/>
    public override Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        Record(context);
        Embedded.Enqueue(request);
        return Task.FromResult((OnEmbed ?? throw Unimplemented("Embed"))(request));
    }

    private void Record(ServerCallContext context) => ModelHeaders.Enqueue(context.RequestHeaders.GetValue(RoutingHeaders.Model) ?? "");

    private static RpcException Unimplemented(string rpc) =>
        new(new Status(StatusCode.Unimplemented, $"moco.v1.InferenceService/{rpc} is not implemented: it needs the native engine"));

    /// <summary>Serves <paramref name="fake"/> on a free loopback port (h2c).</summary>
    public static async Task<(WebApplication App, string Address)> ServeAsync(FakeInference fake)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(fake);
        var app = builder.Build();
        app.MapGrpcService<FakeInference>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address);
    }
}
