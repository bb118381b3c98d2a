using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Views;

namespace MoCo.Evaluator.Service;

/// <summary>LoadDataset (evaluation.md §5.1): the view's DatasetInfo, then its items in split order.</summary>
public sealed class LoadDatasetHandler(EvaluatorRuntime runtime)
{
    /// <summary>Streams the view of <paramref name="request"/>.</summary>
    public async Task RunAsync(LoadDatasetRequest request, IAsyncStreamWriter<LoadDatasetResponse> responses, CancellationToken cancellationToken)
    {
        var view = runtime.Views.Open(ViewRequest.From(request));
        await responses.WriteAsync(new LoadDatasetResponse { Info = ItemMessages.Info(view) }, cancellationToken).ConfigureAwait(false);
        for (var position = 0; position < view.Indices.Length; position++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = ItemMessages.Item(view, position, runtime.Prompts, request.IncludeGold);
            await responses.WriteAsync(new LoadDatasetResponse { Item = item }, cancellationToken).ConfigureAwait(false);
        }
    }
}
