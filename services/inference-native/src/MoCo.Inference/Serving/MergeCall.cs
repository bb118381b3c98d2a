using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Weights;
using ModelFingerprint = MoCo.Models.Catalog.ModelFingerprint;

namespace MoCo.Inference.Serving;

/// <summary>
/// Merge (contracts.md §4): resolves the inputs (resident, run-time or catalogue), merges tensor by tensor into a
/// staging folder (<see cref="MergeRunner"/>; M9 <see cref="LoraApplyRunner"/>; M11 <see cref="PsoStepRunner"/>, which
/// writes x′ and v′), registers the result under the output id and answers with <c>moco-replica</c>. A refused tensor
/// fails the call and leaves nothing behind.
/// </summary>
public sealed class MergeCall(ModelRegistry registry, RuntimeModels runtime)
{
    /// <summary>Runs one call off the request thread: merging is CPU and disk work.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT (request, a refused tensor or adapter), NOT_FOUND (a model), FAILED_PRECONDITION (an output id exists).</exception>
    public async Task<MergeResponse> RunAsync(MergeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var cancel = context.CancellationToken;
        string Resolve(string name, string field) => registry.Resolve(name, field).Directory!;
        var response = request.Method switch
        {
            MergeMethod.LoraApply => await LoraApplyAsync(LoraApplySettings.From(request, Resolve), cancel).ConfigureAwait(false),
            MergeMethod.PsoStep => await PsoStepAsync(PsoStepSettings.From(request, Resolve), cancel).ConfigureAwait(false),
            _ => await MergeAsync(MergeSettings.From(request, Resolve), cancel).ConfigureAwait(false),
        };
        await RuntimeModels.AnnounceAsync(context).ConfigureAwait(false);
        return response;
    }

    private Task<MergeResponse> MergeAsync(MergeSettings settings, CancellationToken cancel)
    {
        runtime.RequireFree(settings.OutputId, "output_id");
        var kind = registry.Summary(registry.Resolve(settings.Source.Model)).Kind;
        var weightsFile = kind == ModelKind.Adapter ? ModelFiles.AdapterWeights : ModelFiles.ModelWeights;
        return Task.Run(() => Build(settings.OutputId, kind, staging => new MergeRunner(settings).Run(staging, weightsFile, cancel)), cancel);
    }

    private Task<MergeResponse> LoraApplyAsync(LoraApplySettings settings, CancellationToken cancel)
    {
        runtime.RequireFree(settings.OutputId, "output_id");
        return Task.Run(() => Build(settings.OutputId, ModelKind.CausalLm,
            staging => new LoraApplyRunner(settings.Adapter, settings.AdapterDirectory, settings.Base).Run(staging, cancel)), cancel);
    }

    private Task<MergeResponse> PsoStepAsync(PsoStepSettings settings, CancellationToken cancel)
    {
        runtime.RequireFree(settings.OutputId, "output_id");
        runtime.RequireFree(settings.VelocityId, "params.pso_step.velocity_output_id");
        var kind = registry.Summary(registry.Resolve(settings.X.Model)).Kind;
        var weightsFile = kind == ModelKind.Adapter ? ModelFiles.AdapterWeights : ModelFiles.ModelWeights;
        return Task.Run(() =>
        {
            var velocity = runtime.Stage();
            try
            {
                var response = Build(settings.OutputId, kind, staging =>
                {
                    var outcome = new PsoStepRunner(settings).Run(staging, velocity, weightsFile, cancel);
                    // v′ is registered first: x′ is the call's answer, so it is registered last, once everything else stood.
                    runtime.Publish(velocity, settings.VelocityId, "merged");
                    return outcome;
                });
                response.VelocityModelId = settings.VelocityId;
                return response;
            }
            finally
            {
                RuntimeModels.Discard(velocity);
            }
        }, cancel);
    }

    // Writes the model into a staging folder, registers it under id and describes it.
    private MergeResponse Build(string id, ModelKind kind, Func<string, MergeOutcome> write)
    {
        var staging = runtime.Stage();
        try
        {
            var outcome = write(staging);
            var fingerprint = ModelFingerprint.Compute(staging);
            runtime.Publish(staging, id, "merged");
            var response = new MergeResponse
            {
                ModelId = id,
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
