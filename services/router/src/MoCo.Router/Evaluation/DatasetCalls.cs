using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Router.Evaluation;

/// <summary>One LoadDataset call on moco.v1.EvaluatorService (evaluation.md §5), as runs and the router service make it:
/// the view's info, then its items in split order.</summary>
public static class DatasetCalls
{
    /// <summary>The view <paramref name="request"/> names and its items.</summary>
    /// <exception cref="RpcException">The evaluator refused the request, or its stream ended without the info.</exception>
    public static async Task<(DatasetInfo Info, IReadOnlyList<DatasetItem> Items)> LoadAsync(EvaluatorService.EvaluatorServiceClient client,
        LoadDatasetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var call = client.LoadDataset(request, cancellationToken: cancellationToken);
        DatasetInfo? info = null;
        var items = new List<DatasetItem>();
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.PayloadCase == LoadDatasetResponse.PayloadOneofCase.Info)
            {
                info = message.Info;
            }
            else
            {
                items.Add(message.Item);
            }
        }
        return (info ?? throw new RpcException(new Status(StatusCode.Internal, "LoadDataset ended without its DatasetInfo")), items);
    }
}
