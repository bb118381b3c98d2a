using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>Evaluate on moco.v1.EvaluatorService (evaluation.md §5.1): a split's view by id, outputs addressed by item
/// index, the run's compat mode, judge models and sandbox limits from the config's `evaluation` object.</summary>
public sealed class GrpcEvaluationService(EvaluatorService.EvaluatorServiceClient client, RunConfig config, string runId) : IEvaluationService
{
    private const int BatchSize = 64;

    /// <inheritdoc/>
    public async Task<SplitScore> ScoreAsync(TaskSplit split, IReadOnlyList<string?> outputs, OutputKind kind, CancellationToken cancellationToken)
    {
        var (results, summary) = await EvaluateAsync(split, outputs, kind, extractOnly: false, cancellationToken).ConfigureAwait(false);
        var items = split.Items.Select(item => results.TryGetValue(item.Index, out var r)
            ? new ItemScore(item.Index, r.Score, r.Parsed, [.. r.Flags])
            : throw new RpcException(new Status(StatusCode.Internal, $"Evaluate returned no result for item {item.Index}"))).ToList();
        return new SplitScore(items, summary.Mean ?? 0.0);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string?>> ParseAsync(TaskSplit split, IReadOnlyList<string> outputs, CancellationToken cancellationToken)
    {
        var (results, _) = await EvaluateAsync(split, outputs, OutputKind.Raw, extractOnly: true, cancellationToken).ConfigureAwait(false);
        return [.. split.Items.Select(item => results.TryGetValue(item.Index, out var r) ? r.Parsed : null)];
    }

    private async Task<(Dictionary<int, ItemResult> Results, EvaluationSummary Summary)> EvaluateAsync(TaskSplit split, IReadOnlyList<string?> outputs,
        OutputKind kind, bool extractOnly, CancellationToken cancellationToken)
    {
        if (outputs.Count != split.Items.Count)
        {
            throw new ArgumentException($"{outputs.Count} outputs for {split.Items.Count} items of {split.Name}", nameof(outputs));
        }
        using var call = client.Evaluate(cancellationToken: cancellationToken);
        var reading = ReadAsync(call.ResponseStream, cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(new EvaluateRequest { Header = Header(split, kind, extractOnly) }, cancellationToken).ConfigureAwait(false);
            for (var start = 0; start < outputs.Count; start += BatchSize)
            {
                var batch = new EvaluateOutputs();
                for (var k = start; k < Math.Min(outputs.Count, start + BatchSize); k++)
                {
                    batch.Outputs.Add(new EvaluateOutput { Index = split.Items[k].Index, Text = outputs[k] });
                }
                await call.RequestStream.WriteAsync(new EvaluateRequest { Outputs = batch }, cancellationToken).ConfigureAwait(false);
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

    private EvaluateHeader Header(TaskSplit split, OutputKind kind, bool extractOnly)
    {
        var evaluation = config.Evaluation;
        var sandbox = evaluation.Sandbox;
        var header = new EvaluateHeader
        {
            ViewId = split.ViewId,
            InputKind = kind == OutputKind.Extracted ? InputKind.Extracted : InputKind.Raw,
            ExtractOnly = extractOnly,
            Compat = config.Compat == CompatMode.Reference ? Compat.Reference : Compat.Moco,
            RunId = runId,
            Models = new EvaluatorModels
            {
                Verifier = evaluation.VerifierModel,
                RewardModel = evaluation.RewardModel,
                RewardModelKind = evaluation.RewardModelKind == "judge" ? RewardModelKind.Judge : RewardModelKind.Classifier,
                Encoder = evaluation.DiversityEncoder,
            },
            Sandbox = new SandboxLimits
            {
                Python = sandbox.Python,
                MaxParallel = sandbox.MaxParallel,
                AllowWeakIsolation = sandbox.AllowWeakIsolation,
                TimeoutS = sandbox.TimeoutS,
                CpuS = sandbox.CpuS,
                MemoryMb = sandbox.MemoryMb,
                FileMb = sandbox.FileMb,
                MaxFiles = sandbox.MaxFiles,
                MaxProcs = sandbox.MaxProcs,
            },
        };
        return header;
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
