using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Judges;

/// <summary>The inference calls judges make (moco.v1.InferenceService): the service's gRPC client in production,
/// a substitute in tests. Failures surface as <see cref="Grpc.Core.RpcException"/>.</summary>
public interface IInferenceBackend
{
    /// <summary>Where the inference service is, for messages.</summary>
    string Address { get; }

    /// <summary>ModelInfo: NOT_FOUND when the model is not in the catalogue.</summary>
    Task<ModelInfoResponse> ModelInfoAsync(string model, CancellationToken cancellationToken);

    /// <summary>Generate with one sample; the sample's whole text.</summary>
    Task<string> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken);

    /// <summary>Score (continuation or classification).</summary>
    Task<ScoreResponse> ScoreAsync(ScoreRequest request, CancellationToken cancellationToken);

    /// <summary>Embed.</summary>
    Task<EmbedResponse> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken);
}
