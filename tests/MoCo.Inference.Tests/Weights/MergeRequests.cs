using System.Runtime.InteropServices;
using MoCo.Contracts.V1;
using ContractMergeInput = MoCo.Contracts.V1.MergeInput;

namespace MoCo.Inference.Tests.Weights;

/// <summary>Merge requests and the perturbed models the merge tests take as inputs.</summary>
public static class MergeRequests
{
    public static MergeRequest Request(MergeMethod method, string output, string? baseModel, params (string Model, double Weight, double Density)[] inputs)
    {
        var request = new MergeRequest { Method = method, OutputId = output, BaseModel = baseModel };
        request.Inputs.Add(inputs.Select(i => new ContractMergeInput { Model = i.Model, Weight = i.Weight, Density = i.Density }));
        return request;
    }

    /// <summary>Writes, through WriteModel, a copy of <paramref name="source"/> (a model or an adapter) with every f32 weight nudged by a seeded amount.</summary>
    public static async Task Perturbed(InferenceService.InferenceServiceClient client, string source, string id, int seed)
    {
        var model = await StreamedModel.ReadAsync(client, source);
        var random = new Random(seed);
        foreach (var (_, data) in model.Tensors.Values)
        {
            var values = MemoryMarshal.Cast<byte, float>(data.AsSpan());
            for (var i = 0; i < values.Length; i++)
            {
                values[i] += (float)((random.NextDouble() - 0.5) * 0.02);
            }
        }
        await StreamedModel.WriteAsync(client, id, model.Chunks(4096));
    }
}
