using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Weights;

/// <summary>A LORA_APPLY request checked (contracts.md §4 Merge, methods-logit-weight.md M9).</summary>
/// <param name="Adapter">The adapter, read and checked.</param>
/// <param name="AdapterDirectory">Its folder.</param>
/// <param name="Base">The base: base_model when set, else the adapter's base_model_name_or_path.</param>
/// <param name="OutputId">Id of the new full model.</param>
public sealed record LoraApplySettings(LoraAdapter Adapter, string AdapterDirectory, MergeSource Base, string OutputId)
{
    /// <summary>Validates <paramref name="request"/>; <paramref name="resolve"/> maps a model name and its field to its folder.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the field; NOT_FOUND from <paramref name="resolve"/>.</exception>
    public static LoraApplySettings From(MergeRequest request, Func<string, string, string> resolve)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(resolve);
        if (request.Inputs.Count != 1)
        {
            throw Invalid("inputs", "INVALID_VALUE", $"LORA_APPLY takes exactly one input, the adapter; got {request.Inputs.Count}");
        }
        const string field = "inputs[0].model";
        var directory = resolve(request.Inputs[0].Model, field);
        var adapter = LoraAdapter.Read(directory, field);
        var baseName = request.BaseModel ?? adapter.BaseModel
            ?? throw Invalid("base_model", "MISSING_FIELD", "the adapter's config names no base_model_name_or_path; name the base in base_model");
        var baseSource = new MergeSource(baseName, resolve(baseName, request.BaseModel is null ? field : "base_model"), 1f, 1.0, -1);
        if (MergeSettings.Dtype(request.OutputDtype) is { } dtype && dtype != MergeRunner.StorageDtype(SafetensorsTensors.Read(baseSource.Directory)))
        {
            throw Invalid("output_dtype", "INVALID_VALUE", $"LORA_APPLY writes each weight in the base's own dtype (M9 rounds once into W); leave output_dtype unset, not {request.OutputDtype}");
        }
        return new LoraApplySettings(adapter, directory, baseSource, MergeSettings.DeriveId(request, ""));
    }

    private static Grpc.Core.RpcException Invalid(string field, string reason, string what) => MocoErrors.InvalidArgument(new Problem(field, reason, what));
}
