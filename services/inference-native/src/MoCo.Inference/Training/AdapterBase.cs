using MoCo.Inference.Registry;
using MoCo.Inference.Weights;

namespace MoCo.Inference.Training;

/// <summary>
/// Training a model that is itself an adapter (methods-text.md §0.9, "Training a trained model"): the job starts from
/// the full current model, so the adapter is first folded into its base (LORA_APPLY, M9) and the merged weights are
/// registered under <c>{output_id}.base</c>. A LoRA job's new adapter names that model as its base, so the result
/// carries every earlier delta; a full job writes whole weights and no longer needs it, nor does an adapter served on
/// the original base (adapter_on_original_base, the reference's DPO).
/// </summary>
public sealed class AdapterBase(ModelRegistry registry, RuntimeModels runtime)
{
    /// <summary>The id the merged base of a job with output <paramref name="outputId"/> is registered under.</summary>
    public static string IdFor(string outputId) => outputId + ".base";

    /// <summary>Settings that train from the merged model instead of <paramref name="settings"/>' adapter; settings
    /// whose base is a full model are returned as they are.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT (an adapter the base does not fit), FAILED_PRECONDITION
    /// (the merged id is taken), the merged model's load errors.</exception>
    public async Task<TrainSettings> ResolveAsync(TrainSettings settings, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Base.Adapter is null)
        {
            return settings;
        }
        var id = IdFor(settings.OutputId);
        runtime.RequireFree(id, "job.output_id");
        var adapterDirectory = registry.Resolve(settings.Base.Id, "job.base_model").Directory!;
        var adapter = LoraAdapter.Read(adapterDirectory, "job.base_model");
        var baseModel = settings.Base.Base.Resolution;
        var source = new MergeSource(baseModel.Name, baseModel.Directory!, 1f, 1.0, -1);
        await Task.Run(() =>
        {
            var staging = runtime.Stage();
            try
            {
                new LoraApplyRunner(adapter, adapterDirectory, source).Run(staging, cancel);
                runtime.Publish(staging, id, "merged");
            }
            finally
            {
                RuntimeModels.Discard(staging);
            }
        }, cancel).ConfigureAwait(false);
        return settings with { Base = registry.Acquire(id) };
    }

    /// <summary>Drops the merged base of a job that registered nothing on it: a failed or cancelled job, a full job
    /// (whose weights are whole) or an adapter served on the original base. Nothing happens for a job that trained from
    /// a full model.</summary>
    public void Release(TrainSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Base.Id == IdFor(settings.OutputId) && registry.Forget(settings.Base.Id) is { } directory)
        {
            RuntimeModels.Discard(directory);
        }
    }
}
