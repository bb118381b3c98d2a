using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Views;

namespace MoCo.Evaluator.Service;

/// <summary>LoadDataset (evaluation.md §5.1): the view's DatasetInfo, then its items in split order. The view is the
/// request's fields or, given alone, an earlier reply's view_id (it carries them).</summary>
public sealed class LoadDatasetHandler(EvaluatorRuntime runtime)
{
    /// <summary>Streams the view of <paramref name="request"/>.</summary>
    public async Task RunAsync(LoadDatasetRequest request, IAsyncStreamWriter<LoadDatasetResponse> responses, CancellationToken cancellationToken)
    {
        var view = request.ViewId.Length > 0 ? runtime.Views.Resolve(OnlyViewId(request), "view_id") : runtime.Views.Open(ViewRequest.From(request));
        await responses.WriteAsync(new LoadDatasetResponse { Info = ItemMessages.Info(view) }, cancellationToken).ConfigureAwait(false);
        for (var position = 0; position < view.Indices.Length; position++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = ItemMessages.Item(view, position, runtime.Prompts, request.IncludeGold);
            await responses.WriteAsync(new LoadDatasetResponse { Item = item }, cancellationToken).ConfigureAwait(false);
        }
    }

    // A view id stands for every view-defining field, so one given beside it could only disagree or repeat it.
    private static string OnlyViewId(LoadDatasetRequest request)
    {
        var alongside = new (string Field, bool Set)[]
        {
            ("task", request.Task.Length > 0), ("split", request.Split != Split.Unspecified), ("task_type", request.TaskType is not null),
            ("limit", request.Limit is not null), ("limit_seed", request.LimitSeed is not null), ("group_by", request.GroupBy is not null),
            ("data_dirs", request.DataDirs.Count > 0),
        }.Where(f => f.Set).Select(f => f.Field).ToList();
        if (alongside.Count > 0)
        {
            throw EvaluatorException.Single(StatusCode.InvalidArgument, "view_id", Reasons.InvalidValue,
                $"view_id is given with {string.Join(", ", alongside)}: the id already carries the view's fields",
                "send view_id alone (include_gold may stay), or the fields without view_id");
        }
        return request.ViewId;
    }
}
