using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Router.Evaluation;

namespace MoCo.Router.Service;

/// <summary>Dev views over moco.v1.EvaluatorService: LoadDataset for the prompts, Evaluate for the scores (outputs
/// addressed by item index). It owns its channel to the evaluator.</summary>
public sealed class GrpcRouterDevData(GrpcChannel channel) : IRouterDevData, IDisposable
{
    private readonly EvaluatorService.EvaluatorServiceClient _client = new(channel);

    /// <inheritdoc/>
    public void Dispose() => channel.Dispose();

    /// <inheritdoc/>
    public Task<(DatasetInfo Info, IReadOnlyList<DatasetItem> Items)> LoadAsync(LoadDatasetRequest dataset, CancellationToken cancellationToken) =>
        DatasetCalls.LoadAsync(_client, dataset, cancellationToken);

    /// <inheritdoc/>
    public async Task<(IReadOnlyList<double> Scores, double Mean)> ScoreAsync(EvaluateHeader header, IReadOnlyList<(int Index, string Output)> outputs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var (results, summary) = await EvaluateCalls.RunAsync(_client, header, [.. outputs.Select(o => new EvaluateOutput { Index = o.Index, Text = o.Output })],
            cancellationToken).ConfigureAwait(false);
        IReadOnlyList<double> scores = [.. outputs.Select(o => results.TryGetValue(o.Index, out var r)
            ? r.Score ?? double.NaN
            : throw new RpcException(new Status(StatusCode.Internal, $"Evaluate returned no result for item {o.Index}")))];
        return (scores, summary.Mean ?? 0.0);
    }
}
