using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Router.Training;

/// <summary>The reward of a classification-mode Score (methods-api.md §0.9): the single logit of a sequence-classification
/// reward model.</summary>
public static class RewardScores
{
    /// <summary>The one value of <paramref name="response"/>.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION: <paramref name="model"/>'s head gave other than one value.</exception>
    public static double Of(ScoreResponse response, string model)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Values.Count == 1
            ? response.Values[0]
            : throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"{model} is not a single-logit reward model: its classification head gave {response.Values.Count} values; use a sequence-classification reward model with num_labels 1"));
    }
}
