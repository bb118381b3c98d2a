using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;
using MoCo.Router.Evaluation;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>Evaluate on moco.v1.EvaluatorService (evaluation.md §5.1): a split's view by id, outputs addressed by item
/// index, the run's compat mode, judge models and sandbox limits from the config's `evaluation` object.</summary>
public sealed class GrpcEvaluationService(EvaluatorService.EvaluatorServiceClient client, RunConfig config, string runId) : IEvaluationService
{
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
        return await EvaluateCalls.RunAsync(client, Header(split, kind, extractOnly),
            [.. outputs.Select((o, k) => new EvaluateOutput { Index = split.Items[k].Index, Text = o })], cancellationToken).ConfigureAwait(false);
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
}
