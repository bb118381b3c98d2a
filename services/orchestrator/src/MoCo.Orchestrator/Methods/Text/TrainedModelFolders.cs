using System.Security.Cryptography;
using System.Text;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// The reference's trained-model folders in the side files (SPARTA's `iteration_{it}/dpo_{id}`, multi-agent
/// finetuning's `gen_model_agent_{n}`/`critic_model_agent_{n}`, AggLM's adapter, LLM-Blender's ranker and fuser): the
/// trained model is served from the inference service under its id, and a copy of its files (a LoRA adapter's
/// adapter_config.json and adapter_model.safetensors with the tokenizer, or full weights) is written to the run's
/// artifact folder under the reference's name, so the side folders hold what the reference leaves there. Where the
/// run's services cannot persist models the folders are left out.
/// </summary>
public static class TrainedModelFolders
{
    /// <summary>Writes <paramref name="model"/> to <paramref name="relative"/> inside the run's artifact folder. The copy
    /// is a side file: a service that cannot hand the weights out (or no longer has the model) costs the folder and a
    /// warning, not the run's results.</summary>
    public static async Task ExportAsync(MethodContext context, string model, string relative, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Merges is not { } merges)
        {
            return;
        }
        try
        {
            await merges.PersistAsync(model, context.ArtifactName(relative), cancellationToken).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode is not Grpc.Core.StatusCode.Cancelled)
        {
            context.Recorder.Warn($"the trained model {model} was not written to {relative}: {e.Status.Detail}");
        }
    }

    /// <summary>SPARTA's folder name for a model id: '/' and '\' become '_', and an id longer than 100 characters is
    /// replaced by the first 16 hex digits of its MD5 (methods-text.md §12 step 8).</summary>
    public static string SpartaName(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var safe = id.Replace('/', '_').Replace('\\', '_');
        // MD5 names a folder, as the reference does; it secures nothing.
#pragma warning disable CA5351
        return safe.Length > 100 ? Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(safe)))[..16] : safe;
#pragma warning restore CA5351
    }
}
