using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Router.Evaluation;

/// <summary>One Evaluate call on moco.v1.EvaluatorService (evaluation.md §5.1), as runs and the router service make it:
/// the header, the outputs in batches, half-close; the results by item index and the summary.</summary>
public static class EvaluateCalls
{
    private const int BatchSize = 64;

    /// <summary>Scores <paramref name="outputs"/> under <paramref name="header"/>.</summary>
    /// <exception cref="RpcException">The evaluator refused the request or ended without its summary.</exception>
    public static async Task<(Dictionary<int, ItemResult> Results, EvaluationSummary Summary)> RunAsync(EvaluatorService.EvaluatorServiceClient client,
        EvaluateHeader header, IReadOnlyList<EvaluateOutput> outputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(outputs);
        using var call = client.Evaluate(cancellationToken: cancellationToken);
        var reading = ReadAsync(call.ResponseStream, cancellationToken);
        try
        {
            // The call carries the token; writes take none (some transports, the in-process test one among them, refuse it).
            await call.RequestStream.WriteAsync(new EvaluateRequest { Header = header }).ConfigureAwait(false);
            foreach (var chunk in outputs.Chunk(BatchSize))
            {
                var batch = new EvaluateOutputs();
                batch.Outputs.Add(chunk);
                await call.RequestStream.WriteAsync(new EvaluateRequest { Outputs = batch }).ConfigureAwait(false);
            }
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or RpcException)
        {
            // The server may end the call while outputs are still being written; its status is on the response stream.
            await reading.ConfigureAwait(false);
            throw;
        }
        return await reading.ConfigureAwait(false);
    }

    private static async Task<(Dictionary<int, ItemResult>, EvaluationSummary)> ReadAsync(IAsyncStreamReader<EvaluateResponse> stream,
        CancellationToken cancellationToken)
    {
        var results = new Dictionary<int, ItemResult>();
        EvaluationSummary? summary = null;
        await foreach (var message in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.PayloadCase == EvaluateResponse.PayloadOneofCase.Result)
            {
                results[message.Result.Index] = message.Result;
            }
            else
            {
                summary = message.Summary;
            }
        }
        return (results, summary ?? throw new RpcException(new Status(StatusCode.Internal, "Evaluate ended without its summary")));
    }
}
