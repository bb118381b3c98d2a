using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;

namespace MoCo.Router.Service;

/// <summary>StdGen (methods-api.md §0.2) over moco.v1.InferenceService.Generate: one user turn, the text after the first
/// `&lt;begin&gt;` as the assistant's prefill, stop at the model's EOS set, the text after the last `&lt;/think&gt;`;
/// Embed with the orchestrator's settings (mean pooling, L2-normalised); and ModelInfo's fingerprint, as runs ask it.</summary>
public sealed class GrpcRouterModels(InferenceService.InferenceServiceClient client) : IRouterModels
{
    private const string Think = "</think>";

    /// <inheritdoc/>
    public async Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
        CancellationToken cancellationToken)
    {
        var request = new GenerateRequest
        {
            Model = model,
            Prompt = UserPrompts.Of(prompt),
            Sampling = new SamplingParams
            {
                Temperature = (float)settings.Temperature,
                TopP = (float)settings.TopP,
                DoSample = settings.Temperature > 0,
                MaxNewTokens = settings.MaxNewTokens,
            },
            N = 1,
            Seed = seed,
            CallKey = callKey,
        };
        // ScoredGen as the orchestrator's generation backend asks it: the k largest processed logits of every token.
        TopConfidence? confidence = null;
        if (settings.ConfidenceTopK > 0)
        {
            request.Logprobs = TopConfidence.Request(settings.ConfidenceTopK);
            confidence = new TopConfidence();
        }
        using var stream = client.Generate(request, RoutingHeaders.For(model), cancellationToken: cancellationToken);
        await foreach (var message in stream.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (confidence is not null && message.PayloadCase == GenerateResponse.PayloadOneofCase.Delta)
            {
                foreach (var token in message.Delta.Logprobs)
                {
                    confidence.Add(token);
                }
            }
            if (message.PayloadCase != GenerateResponse.PayloadOneofCase.Final)
            {
                continue;
            }
            if (message.Final.FinishReason == FinishReason.Error)
            {
                throw new RpcException(new Status((StatusCode)(message.Final.Error?.Code ?? (int)StatusCode.Internal),
                    $"Generate on {model}: {message.Final.Error?.Message ?? "generation failed"}"));
            }
            return new RouterGeneration(AfterThink(message.Final.Text), message.Final.Usage ?? new Usage(), confidence?.Mean);
        }
        throw new RpcException(new Status(StatusCode.Internal, $"Generate on {model} ended without a final message"));
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken)
    {
        var request = new EmbedRequest { Model = model, Pooling = Pooling.Mean, Normalize = true, CallKey = callKey };
        request.Texts.AddRange(texts);
        var response = await client.EmbedAsync(request, RoutingHeaders.For(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. response.Vectors.Select(v => v.Values.Select(x => (double)x).ToArray())];
    }

    /// <inheritdoc/>
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => ModelInfoFingerprint.OfAsync(client, model, cancellationToken);

    private static string AfterThink(string text)
    {
        var at = text.LastIndexOf(Think, StringComparison.Ordinal);
        return at < 0 ? text : text[(at + Think.Length)..].Trim();
    }
}
