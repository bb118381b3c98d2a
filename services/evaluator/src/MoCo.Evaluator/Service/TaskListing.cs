using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Tasks;
using SandboxLimits = MoCo.Evaluator.Sandbox.SandboxLimits;

namespace MoCo.Evaluator.Service;

/// <summary>ListTasks (evaluation.md §5.1): every task type with its metric, range, required fields, needs and
/// whether this evaluator can score it now; every dataset of the data path with its sizes, compatible types,
/// warnings and §3.4 status.</summary>
public sealed class TaskListing(EvaluatorRuntime runtime)
{
    // Availability checks must not hold a listing up: an inference service that does not answer in this time is
    // reported unreachable.
    private static readonly TimeSpan ModelCheckTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The listing for the request's extra folders.</summary>
    public async Task<ListTasksResponse> ListAsync(ListTasksRequest request, CancellationToken cancellationToken)
    {
        var response = new ListTasksResponse();
        foreach (var type in TaskTypeNames.All)
        {
            response.TaskTypes.Add(await TypeInfoAsync(type, cancellationToken).ConfigureAwait(false));
        }
        response.Datasets.Add(new DatasetCatalog(runtime.Views).List(request.DataDirs));
        return response;
    }

    private async Task<TaskTypeInfo> TypeInfoAsync(TaskType type, CancellationToken cancellationToken)
    {
        var spec = TaskTypeSpec.Of(type);
        var info = new TaskTypeInfo
        {
            Name = type.Name(),
            Metric = spec.Metric,
            ScoreMin = spec.ScoreMin,
            ScoreMax = spec.ScoreMax,
            NeedsVerifier = spec.NeedsVerifier,
            NeedsRewardModel = spec.NeedsRewardModel,
            NeedsEncoder = spec.NeedsEncoder,
            NeedsSandbox = spec.NeedsSandbox,
        };
        info.RequiredFields.Add(spec.RequiredFields);
        var why = spec switch
        {
            { NeedsSandbox: true } => await SandboxProblemAsync(cancellationToken).ConfigureAwait(false),
            { NeedsVerifier: true } => await ModelProblemAsync(JudgeRole.Verifier, cancellationToken).ConfigureAwait(false),
            { NeedsRewardModel: true } => await ModelProblemAsync(JudgeRole.RewardModel, cancellationToken).ConfigureAwait(false),
            { NeedsEncoder: true } => await ModelProblemAsync(JudgeRole.Encoder, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
        info.Available = why is null;
        info.UnavailableReason = why ?? "";
        return info;
    }

    private async Task<string?> SandboxProblemAsync(CancellationToken cancellationToken)
    {
        try
        {
            await runtime.Sandbox.PrepareAsync(new SandboxLimits(), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (EvaluatorException e)
        {
            return e.Message;
        }
    }

    private async Task<string?> ModelProblemAsync(JudgeRole role, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ModelCheckTimeout);
        try
        {
            await runtime.Inference.ModelInfoAsync(role.DefaultModel, limit.Token).ConfigureAwait(false);
            return null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return $"the {role.Name} '{role.DefaultModel}' is not in the inference catalogue; add it or set {role.ConfigKey}";
        }
        catch (RpcException e)
        {
            return $"the inference service at {runtime.Inference.Address} cannot confirm the {role.Name} '{role.DefaultModel}' ({role.ConfigKey}): {e.StatusCode} {e.Status.Detail}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the inference service at {runtime.Inference.Address} did not answer within {ModelCheckTimeout.TotalSeconds:0} s";
        }
    }
}
