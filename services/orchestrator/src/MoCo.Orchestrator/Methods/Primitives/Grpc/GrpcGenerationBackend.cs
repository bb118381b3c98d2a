using System.Collections.Concurrent;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>Generate on moco.v1.InferenceService (contracts.md §4): one user turn rendered server-side with the prefill
/// as the trailing partial assistant message, n samples from the given seed, stop at the model's EOS set; sampling
/// is on unless the temperature is 0 (greedy).</summary>
public sealed class GrpcGenerationBackend(InferenceService.InferenceServiceClient client) : IGenerationBackend
{
    private readonly ConcurrentDictionary<string, Task<string>> _fingerprints = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) =>
        _fingerprints.GetOrAdd(model, async m =>
        {
            var info = await client.ModelInfoAsync(new ModelInfoRequest { Model = m }, Headers(m), cancellationToken: cancellationToken).ConfigureAwait(false);
            // A run-time model without fingerprint (none today) falls back to its id, which is still unique per content.
            return info.Summary?.Fingerprint is { Length: > 0 } fingerprint ? fingerprint : info.Summary?.Id ?? m;
        });

    /// <inheritdoc/>
    public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        var chat = new ChatPrompt { AssistantPrefill = call.Prefill };
        chat.Messages.Add(new ChatMessage { Role = "user", Content = call.Prompt });
        var request = new GenerateRequest
        {
            Model = call.Model,
            Prompt = new Prompt { Chat = chat },
            Sampling = new SamplingParams
            {
                Temperature = (float)call.Temperature,
                TopP = (float)call.TopP,
                DoSample = call.Temperature > 0,
                MaxNewTokens = call.MaxNewTokens,
            },
            N = call.Samples,
            Seed = call.Seed,
            CallKey = call.CallKey,
        };
        var samples = new GeneratedSample?[call.Samples];
        try
        {
            using var stream = client.Generate(request, Headers(call.Model), cancellationToken: cancellationToken);
            await foreach (var message in stream.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (message.PayloadCase != GenerateResponse.PayloadOneofCase.Final)
                {
                    continue;
                }
                var final = message.Final;
                if (final.FinishReason == FinishReason.Error)
                {
                    throw new RpcException(new Status((StatusCode)(final.Error?.Code ?? (int)StatusCode.Internal), final.Error?.Message ?? "generation failed"));
                }
                var usage = final.Usage;
                samples[final.SampleIndex] = new GeneratedSample(final.Text, Name(final.FinishReason),
                    new CallUsage(usage?.PromptTokens ?? 0, usage?.CompletionTokens ?? 0, usage?.Latency?.ToTimeSpan() ?? TimeSpan.Zero));
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && MocoErrors.ErrorInfos(e).Any(i => i.Reason == "PROMPT_TOO_LONG"))
        {
            throw new PromptTooLongException(e.Status.Detail);
        }
        if (samples.Any(s => s is null))
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Generate on {call.Model} ended without a final message for every sample"));
        }
        return [.. samples.Select(s => s!)];
    }

    // "FINISH_REASON_STOP_TOKEN" → "stop_token": the names items.jsonl and the ledger keep.
    private static string Name(FinishReason reason) => reason.ToString() switch
    {
        var n when n.StartsWith("FinishReason", StringComparison.Ordinal) => n["FinishReason".Length..].ToLowerInvariant(),
        var n => n.ToLowerInvariant(),
    };

    // The gateway routes by model (contracts.md §9 affinity).
    private static Metadata Headers(string model) => new() { { "moco-model", model } };
}
