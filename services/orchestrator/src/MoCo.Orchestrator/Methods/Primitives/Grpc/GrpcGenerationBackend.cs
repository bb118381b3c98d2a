using System.Collections.Concurrent;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Routing;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>Generate and GenerateEnsemble on moco.v1.InferenceService (contracts.md §4): one user turn rendered
/// server-side with the prefill as the trailing partial assistant message, n samples from the given seed, stop at the
/// model's EOS set; sampling is on unless the temperature is 0 (greedy). Ensemble members are loaded first
/// (GenerateEnsemble needs them resident on one replica; members spread over replicas answer NOT_COLOCATED, and the
/// ensemble then decodes over Decode streams, <see cref="DecodeEnsembleBackend"/>).</summary>
public sealed class GrpcGenerationBackend(InferenceService.InferenceServiceClient client) : IGenerationBackend, IEnsembleBackend
{
    private readonly ConcurrentDictionary<string, Task<string>> _fingerprints = new(StringComparer.Ordinal);
    private readonly DecodeEnsembleBackend _decode = new(client);

    /// <inheritdoc/>
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) =>
        _fingerprints.GetOrAdd(model, m => ModelInfoFingerprint.OfAsync(client, m, cancellationToken));

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
        // api_cascade's ScoredGen: the k largest processed logits of every generated token (methods-api.md §6).
        TopConfidence[]? confidences = null;
        if (call.ConfidenceTopK > 0)
        {
            request.Logprobs = TopConfidence.Request(call.ConfidenceTopK);
            confidences = [.. Enumerable.Range(0, call.Samples).Select(_ => new TopConfidence())];
        }
        using var stream = client.Generate(request, RoutingHeaders.For(call.Model), cancellationToken: cancellationToken);
        var samples = await CollectAsync(stream.ResponseStream.ReadAllAsync(cancellationToken).Select(m =>
        {
            if (confidences is not null && m.PayloadCase == GenerateResponse.PayloadOneofCase.Delta)
            {
                foreach (var token in m.Delta.Logprobs)
                {
                    confidences[m.Delta.SampleIndex].Add(token);
                }
            }
            return m.PayloadCase == GenerateResponse.PayloadOneofCase.Final ? m.Final : null;
        }), call.Samples, $"Generate on {call.Model}").ConfigureAwait(false);
        samples = await AnsweredByAsync(samples, stream.ResponseHeadersAsync).ConfigureAwait(false);
        return confidences is null ? samples : [.. samples.Select((s, i) => s with { Confidence = confidences[i].Mean })];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<GeneratedSample>> GenerateEnsembleAsync(EnsembleCall call, CancellationToken cancellationToken)
    {
        var spec = call.Spec;
        // LoadModel of a resident model only answers its summary; asking every call keeps members resident after an eviction.
        await Task.WhenAll(spec.Members.Distinct(StringComparer.Ordinal).Select(m =>
            client.LoadModelAsync(new LoadModelRequest { Model = m }, RoutingHeaders.For(m), cancellationToken: cancellationToken).ResponseAsync)).ConfigureAwait(false);
        var chat = new ChatPrompt { AssistantPrefill = call.Prefill };
        chat.Messages.Add(new ChatMessage { Role = "user", Content = call.Prompt });
        var request = new GenerateEnsembleRequest
        {
            Prompt = new Prompt { Chat = chat },
            Mode = spec.Kind == EnsembleKind.Fuse ? EnsembleMode.Fuse : EnsembleMode.Contrastive,
            TemplateMember = spec.TemplateMember,
            Sampling = new SamplingParams { Temperature = (float)call.Temperature, MaxNewTokens = call.MaxNewTokens },
            N = call.Samples,
            Seed = call.Seed,
            CallKey = call.CallKey,
        };
        request.Members.AddRange(spec.Members.Select((m, i) => new EnsembleMember { Model = m, Weight = spec.Weights is { } w ? (float)w[i] : null }));
        if (spec.Kind == EnsembleKind.Contrastive)
        {
            request.Top.AddRange(spec.Top);
            request.Bottom.AddRange(spec.Bottom);
            request.Lambda = (float)spec.Lambda;
            request.PlausibilityAlpha = (float)spec.PlausibilityAlpha;
        }
        try
        {
            using var stream = client.GenerateEnsemble(request, RoutingHeaders.For(spec.Members[0]), cancellationToken: cancellationToken);
            var samples = await CollectAsync(stream.ResponseStream.ReadAllAsync(cancellationToken).Select(m => m.PayloadCase == GenerateEnsembleResponse.PayloadOneofCase.Final ? m.Final : null),
                call.Samples, $"GenerateEnsemble of {string.Join(", ", spec.Members)}").ConfigureAwait(false);
            return await AnsweredByAsync(samples, stream.ResponseHeadersAsync).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && MocoErrors.ErrorInfos(e).Any(i => i.Reason == "NOT_COLOCATED"))
        {
            // The members live on different replicas: fuse their Decode streams here, with the same kernels and draws.
            return await _decode.GenerateEnsembleAsync(call, cancellationToken).ConfigureAwait(false);
        }
    }

    // The samples with the replica the response headers name (the calls table's replica column).
    private static async Task<IReadOnlyList<GeneratedSample>> AnsweredByAsync(IReadOnlyList<GeneratedSample> samples, Task<Metadata> headers)
    {
        var replica = RoutingHeaders.ReplicaOf(await headers.ConfigureAwait(false));
        return replica is null ? samples : [.. samples.Select(s => s with { Usage = s.Usage with { Replica = replica } })];
    }

    // The samples of a Generate or GenerateEnsemble stream, from their final messages (null = another message kind).
    private static async Task<IReadOnlyList<GeneratedSample>> CollectAsync(IAsyncEnumerable<GenerateFinal?> finals, int count, string what)
    {
        var samples = new GeneratedSample?[count];
        try
        {
            await foreach (var final in finals.ConfigureAwait(false))
            {
                if (final is null)
                {
                    continue;
                }
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
            throw new RpcException(new Status(StatusCode.Internal, $"{what} ended without a final message for every sample"));
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
}
