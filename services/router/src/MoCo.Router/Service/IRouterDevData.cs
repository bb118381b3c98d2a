using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>A dev view on the evaluator service (contracts.md §6): its items' prompts, and the scores of outputs on it.
/// The evaluator in production, a scripted double in tests.</summary>
public interface IRouterDevData
{
    /// <summary>The view <paramref name="dataset"/> names (its info, with its id) and its items in split order.</summary>
    Task<(DatasetInfo Info, IReadOnlyList<DatasetItem> Items)> LoadAsync(LoadDatasetRequest dataset, CancellationToken cancellationToken);

    /// <summary>The score of each output (by item index) under <paramref name="header"/> (its view id set), in order (NaN =
    /// unscorable), and the evaluator's mean over them.</summary>
    Task<(IReadOnlyList<double> Scores, double Mean)> ScoreAsync(EvaluateHeader header, IReadOnlyList<(int Index, string Output)> outputs,
        CancellationToken cancellationToken);
}
