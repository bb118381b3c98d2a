using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Merge;
using MoCo.Testing.Inference;
using ContractMergeMethod = MoCo.Contracts.V1.MergeMethod;
using KernelMergeInput = MoCo.Native.Merge.MergeInput;
using KernelMergeMethod = MoCo.Native.Merge.MergeMethod;
using static MoCo.Inference.Tests.Weights.MergeRequests;

namespace MoCo.Inference.Tests.Weights;

[Collection(WeightsCollection.Name)]
public sealed class MergeTests(WeightsHost host)
{
    [Fact]
    public async Task Linear_ties_and_dare_ties_equal_the_native_kernel_applied_to_the_same_tensors()
    {
        await MergeRequests.Perturbed(host.Client, GoldenModels.Llama, "fine-a", 1);
        await MergeRequests.Perturbed(host.Client, GoldenModels.Llama, "fine-b", 2);
        var baseModel = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var a = await StreamedModel.ReadAsync(host.Client, "fine-a");
        var b = await StreamedModel.ReadAsync(host.Client, "fine-b");
        var cases = new (ContractMergeMethod Method, KernelMergeMethod Kernel, double Density, bool WithBase)[]
        {
            (ContractMergeMethod.Linear, KernelMergeMethod.Linear, 1.0, false),
            (ContractMergeMethod.TaskArithmetic, KernelMergeMethod.TaskArithmetic, 1.0, true),
            (ContractMergeMethod.Ties, KernelMergeMethod.Ties, 0.5, true),
            (ContractMergeMethod.DareTies, KernelMergeMethod.DareTies, 0.5, true),
        };
        foreach (var (method, kernel, density, withBase) in cases)
        {
            var id = $"merged-{method}";
            var request = Request(method, id, withBase ? GoldenModels.Llama : null, ("fine-a", 0.3, density), ("fine-b", 0.7, density));
            request.Seed = 11;
            var response = await host.Client.MergeAsync(request);
            Assert.Equal((id, 21, 0, 256), (response.ModelId, response.TensorsMerged, response.TensorsCopied, response.VocabSize));
            Assert.Equal(DType.F32, response.Dtype);
            var merged = await StreamedModel.ReadAsync(host.Client, id);
            foreach (var (name, (info, data)) in baseModel.Tensors)
            {
                var desc = new TensorDesc(MocoDtype.F32, [.. info.Shape]);
                var spec = new MergeSpec(kernel, name, [new KernelMergeInput(desc, 0.3f, 0, density), new KernelMergeInput(desc, 0.7f, 1, density)])
                {
                    Base = withBase ? desc : null,
                    IsEmbedding = name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || name == "lm_head.weight",
                    Seed = 11,
                };
                var expected = new byte[data.Length];
                Merges.MergeTensor(spec, [a.Tensors[name].Data, b.Tensors[name].Data], withBase ? data : ReadOnlyMemory<byte>.Empty, expected);
                Assert.True(expected.AsSpan().SequenceEqual(merged.Tensors[name].Data), $"{method} {name}");
            }
        }
        await WeightsAssert.Generates(host.Client, "merged-Ties", 6);
    }

    [Fact]
    public async Task Merging_a_model_with_itself_gives_that_model_bit_for_bit_and_it_generates_as_the_original()
    {
        var request = Request(ContractMergeMethod.Ties, "self-merge", GoldenModels.Llama, (GoldenModels.Llama, 0.5, 1.0), (GoldenModels.Llama, 0.5, 1.0));
        var call = host.Client.MergeAsync(request);
        var response = await call.ResponseAsync;
        Assert.False(string.IsNullOrEmpty((await call.ResponseHeadersAsync).GetValue(RoutingHeaders.Replica)));
        Assert.Equal(ModelKind.CausalLm, response.Kind);
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var merged = await StreamedModel.ReadAsync(host.Client, "self-merge");
        foreach (var (name, (_, data)) in original.Tensors)
        {
            Assert.True(data.AsSpan().SequenceEqual(merged.Tensors[name].Data), name);
        }
        var linear = await host.Client.MergeAsync(Request(ContractMergeMethod.Linear, "self-linear", null, (GoldenModels.Llama, 1.0, 1.0), (GoldenModels.Llama, 3.0, 1.0)));
        Assert.Empty(linear.Warnings);
        await WeightsAssert.GeneratesAs(host.Client, "self-merge", GoldenModels.Llama, "Hello", 10);
        await WeightsAssert.GeneratesAs(host.Client, "self-linear", GoldenModels.Llama, "Hello", 10);
    }

    [Fact]
    public async Task A_shape_mismatch_is_skipped_with_a_warning_by_base_methods_and_invalid_for_linear()
    {
        // A model of another MLP width (config and weights agree, so it loads): its MLP tensors mismatch the golden's.
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var config = JsonNode.Parse(original.Files["config.json"])!;
        config["intermediate_size"] = 32;
        original.Files["config.json"] = Encoding.UTF8.GetBytes(config.ToJsonString());
        foreach (var name in original.Tensors.Keys.Where(n => n.Contains(".mlp.", StringComparison.Ordinal)).ToList())
        {
            var (info, data) = original.Tensors[name];
            var cols = (int)info.Shape[1];
            var narrow = info.Clone();
            narrow.Shape[0] = 32;
            narrow.Shape[1] = 32;
            narrow.Bytes = 32 * 32 * 4;
            var cut = Enumerable.Range(0, 32).SelectMany(r => data.Skip(r * cols * 4).Take(32 * 4)).ToArray();
            original.Tensors[name] = (narrow, cut);
        }
        await StreamedModel.WriteAsync(host.Client, "odd-shape", original.Chunks(4096));
        const string odd = "model.layers.0.mlp.up_proj.weight";

        var ties = await host.Client.MergeAsync(Request(ContractMergeMethod.Ties, "ties-odd", GoldenModels.Llama, ("odd-shape", 1.0, 1.0)));
        Assert.Equal(6, ties.Warnings.Count);
        Assert.All(ties.Warnings, w => Assert.Equal(("odd-shape", "skipped: shape mismatch"), (w.Input, w.Reason)));
        Assert.Contains(ties.Warnings, w => w.Tensor == odd);

        var linear = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(Request(ContractMergeMethod.Linear, "linear-odd", null, (GoldenModels.Llama, 1.0, 1.0), ("odd-shape", 1.0, 1.0))).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, linear.StatusCode);
        Assert.Matches(@"tensor 'model\.layers\.0\.mlp\.(gate|up|down)_proj\.weight'", linear.Status.Detail);
        await WeightsAssert.NotRegistered(host.Client, "linear-odd");
    }

    [Fact]
    public async Task Unknown_inputs_missing_weights_and_a_missing_base_are_refused()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(Request(ContractMergeMethod.Linear, "x", null, (GoldenModels.Llama, 1.0, 1.0), ("ghost", 1.0, 1.0))).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("inputs[1].model", Assert.Single(MocoErrors.FieldViolations(unknown)).Field);

        var request = Request(ContractMergeMethod.Linear, "x", null, (GoldenModels.Llama, 1.0, 1.0));
        request.Inputs[0].Weight = null;
        var weightless = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(request).ResponseAsync);
        Assert.Equal("inputs[0].weight", Assert.Single(MocoErrors.FieldViolations(weightless)).Field);

        var noBase = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(Request(ContractMergeMethod.Ties, "x", null, (GoldenModels.Llama, 1.0, 1.0))).ResponseAsync);
        Assert.Equal("base_model", Assert.Single(MocoErrors.FieldViolations(noBase)).Field);
    }
}
