using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Tasks;

namespace MoCo.Evaluator.Views;

/// <summary>A split of a dataset file as scored: the effective task type, the chosen items (split indices,
/// ascending), the grouping field and the validation warnings. Identified by <see cref="Id"/>.</summary>
public sealed class DatasetView
{
    internal DatasetView(ViewRequest request, DatasetFile file, TaskType type, int[] indices, SelectionKind selection,
        string? groupField, ValidationReport validation)
    {
        Request = request;
        File = file;
        Type = type;
        Indices = indices;
        Selection = selection;
        GroupField = groupField;
        Validation = validation;
        Id = ViewId.Create(request, file.Sha256);
        var ids = Items.Select(i => i.Id).ToList();
        IdsUnique = ids.Distinct(StringComparer.Ordinal).Count() == ids.Count;
    }

    /// <summary>The request the view was made from.</summary>
    public ViewRequest Request { get; }

    /// <summary>The dataset file.</summary>
    public DatasetFile File { get; }

    /// <summary>The split.</summary>
    public DatasetSplit Split => Request.Split;

    /// <summary>The effective task type (the request's, else the file's).</summary>
    public TaskType Type { get; }

    /// <summary>Every item of the split (indices address this list).</summary>
    public IReadOnlyList<DatasetItem> Items => File.Items(Split);

    /// <summary>Split indices of the view's items, ascending.</summary>
    public int[] Indices { get; }

    /// <summary>How the items were chosen.</summary>
    public SelectionKind Selection { get; }

    /// <summary>Item field whose equal values score all-or-nothing; null = no grouping (evaluation.md §2.10).</summary>
    public string? GroupField { get; }

    /// <summary>Validation of the split against the task type (no errors: the view exists).</summary>
    public ValidationReport Validation { get; }

    /// <summary>The stateless view id.</summary>
    public string Id { get; }

    /// <summary>False when ids repeat in the split.</summary>
    public bool IdsUnique { get; }

    /// <summary>Metric name: the type's, except `none` for text_generation test (evaluation.md §2.7).</summary>
    public string Metric => Type == TaskType.TextGeneration && Split == DatasetSplit.Test ? "none" : TaskTypeSpec.Of(Type).Metric;

    /// <summary>The view position of split index <paramref name="index"/>; −1 when outside the view.</summary>
    public int PositionOf(int index)
    {
        var position = Array.BinarySearch(Indices, index);
        return position < 0 ? -1 : position;
    }

    /// <summary>The item at view position <paramref name="position"/>.</summary>
    public DatasetItem At(int position) => Items[Indices[position]];
}
