using Grpc.Core;
using Microsoft.Extensions.Logging;
using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Service;

/// <summary>moco.v1.EvaluatorService: ListTasks, LoadDataset and Evaluate (evaluation.md §5). Library errors
/// (<see cref="Errors.EvaluatorException"/>) become rich gRPC errors in the host's interceptor.</summary>
public sealed class EvaluatorGrpcService(EvaluatorRuntime runtime, ILogger<EvaluatorGrpcService> logger) : EvaluatorService.EvaluatorServiceBase
{
    /// <inheritdoc/>
    public override Task<ListTasksResponse> ListTasks(ListTasksRequest request, ServerCallContext context) =>
        new TaskListing(runtime).ListAsync(request, context.CancellationToken);

    /// <inheritdoc/>
    public override Task LoadDataset(LoadDatasetRequest request, IServerStreamWriter<LoadDatasetResponse> responseStream, ServerCallContext context) =>
        new LoadDatasetHandler(runtime).RunAsync(request, responseStream, context.CancellationToken);

    /// <inheritdoc/>
    public override Task Evaluate(IAsyncStreamReader<EvaluateRequest> requestStream, IServerStreamWriter<EvaluateResponse> responseStream,
        ServerCallContext context) =>
        new EvaluateSession(runtime, logger).RunAsync(requestStream, responseStream, context.CancellationToken);
}
