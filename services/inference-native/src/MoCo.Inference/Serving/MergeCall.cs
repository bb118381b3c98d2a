using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Weights;
using ModelFingerprint = MoCo.Models.Catalog.ModelFingerprint;

namespace MoCo.Inference.Serving;

/// <summary>
/// Merge (contracts.md §4): resolves the inputs (resident, run-time or catalogue), merges tensor by tensor into a
/// staging folder (<see cref="MergeRunner"/>), registers the result under the output id and answers with
/// <c>moco-replica</c>. A refused tensor fails the call and leaves nothing behind.
/// </summary>
public sealed class MergeCall(ModelRegistry registry, RuntimeModels runtime)
{
    /// <summary>Runs one call off the request thread: merging is CPU and disk work.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT (request, a refused tensor), NOT_FOUND (a model), FAILED_PRECONDITION (the output id exists),
    /// UNIMPLEMENTED (LORA_APPLY, LORA_LINEAR, PSO_STEP).</exception>
    public async Task<MergeResponse> RunAsync(MergeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var settings = MergeSettings.From(request, (name, field) => registry.Resolve(name, field).Directory!);
        runtime.RequireFree(settings.OutputId, "output_id");
        var kind = registry.Summary(registry.Resolve(settings.Source.Model)).Kind;
        var response = await Task.Run(() => Merge(settings, kind), context.CancellationToken).ConfigureAwait(false);
        await RuntimeModels.AnnounceAsync(context).ConfigureAwait(false);
        return response;
    }

    private MergeResponse Merge(MergeSettings settings, ModelKind kind)
    {
        var staging = runtime.Stage();
        try
        {
            var outcome = new MergeRunner(settings).Run(staging, kind == ModelKind.Adapter ? ModelFiles.AdapterWeights : ModelFiles.ModelWeights);
            var fingerprint = ModelFingerprint.Compute(staging);
            runtime.Publish(staging, settings.OutputId, "merged");
            var response = new MergeResponse
            {
                ModelId = settings.OutputId,
                Kind = kind,
                Dtype = WeightDtypes.ToWire(WeightDtypes.FromKernel(outcome.Dtype)),
                VocabSize = outcome.VocabSize,
                TensorsMerged = outcome.Merged,
                TensorsCopied = outcome.Copied,
                Fingerprint = fingerprint,
            };
            response.Warnings.Add(outcome.Warnings);
            return response;
        }
        finally
        {
            RuntimeModels.Discard(staging);
        }
    }
}
