using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Bench;

/// <summary>The evaluator's streaming RPCs as plain calls; outputs are streamed while results are read.</summary>
public static class Calls
{
    public static async Task<List<DatasetItem>> LoadAsync(EvaluatorService.EvaluatorServiceClient client, LoadDatasetRequest request)
    {
        using var call = client.LoadDataset(request);
        var items = new List<DatasetItem>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == LoadDatasetResponse.PayloadOneofCase.Item)
            {
                items.Add(message.Item);
            }
        }
        return items;
    }

    public static async Task<EvaluationSummary> EvaluateAsync(EvaluatorService.EvaluatorServiceClient client, EvaluateHeader header, IEnumerable<EvaluateOutput> outputs)
    {
        using var call = client.Evaluate();
        var reading = Task.Run(async () =>
        {
            EvaluationSummary? summary = null;
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                if (message.PayloadCase == EvaluateResponse.PayloadOneofCase.Summary)
                {
                    summary = message.Summary;
                }
            }
            return summary!;
        });
        await call.RequestStream.WriteAsync(new EvaluateRequest { Header = header });
        foreach (var batch in outputs.Chunk(256))
        {
            await call.RequestStream.WriteAsync(new EvaluateRequest { Outputs = new EvaluateOutputs { Outputs = { batch } } });
        }
        await call.RequestStream.CompleteAsync();
        return await reading;
    }
}
