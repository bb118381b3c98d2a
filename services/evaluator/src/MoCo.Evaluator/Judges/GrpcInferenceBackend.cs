using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Hosting.Outbound;

namespace MoCo.Evaluator.Judges;

/// <summary>The inference service over gRPC. Every call names its model in the `moco-model` header, which the
/// gateway routes by (contracts.md §9).</summary>
public sealed class GrpcInferenceBackend : IInferenceBackend, IDisposable
{
    private const int MaxMessageBytes = 8 * 1024 * 1024;
    private readonly GrpcChannel _channel;
    private readonly InferenceService.InferenceServiceClient _client;

    /// <summary>A client of the inference service (or the gateway) at <paramref name="address"/>, over
    /// <paramref name="channels"/> (default: the system's certificate authorities).</summary>
    public GrpcInferenceBackend(string address, OutboundChannels? channels = null)
    {
        Address = address;
        _channel = (channels ?? OutboundChannels.SystemTrust).Create(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
        _client = new InferenceService.InferenceServiceClient(_channel);
    }

    /// <inheritdoc/>
    public string Address { get; }

    /// <inheritdoc/>
    public async Task<ModelInfoResponse> ModelInfoAsync(string model, CancellationToken cancellationToken) =>
        await _client.ModelInfoAsync(new ModelInfoRequest { Model = model }, RoutingHeaders.For(model),
            DateTime.UtcNow.AddSeconds(30), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task<string> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        using var call = _client.Generate(request, RoutingHeaders.For(request.Model), cancellationToken: cancellationToken);
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.PayloadCase == GenerateResponse.PayloadOneofCase.Final && message.Final.SampleIndex == 0)
            {
                var final = message.Final;
                if (final.FinishReason == FinishReason.Error)
                {
                    throw new RpcException(new Status((StatusCode)(final.Error?.Code ?? (int)StatusCode.Internal),
                        final.Error?.Message ?? "generation failed"));
                }
                return final.Text;
            }
        }
        throw new RpcException(new Status(StatusCode.Internal, "Generate ended without a final message for sample 0"));
    }

    /// <inheritdoc/>
    public async Task<ScoreResponse> ScoreAsync(ScoreRequest request, CancellationToken cancellationToken) =>
        await _client.ScoreAsync(request, RoutingHeaders.For(request.Model), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken) =>
        await _client.EmbedAsync(request, RoutingHeaders.For(request.Model), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();
}
