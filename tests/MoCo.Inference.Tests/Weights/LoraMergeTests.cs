using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Kernels;
using MoCo.Native.Merge;
using MoCo.Testing.Inference;
using static MoCo.Inference.Tests.Weights.MergeRequests;
using ContractMergeMethod = MoCo.Contracts.V1.MergeMethod;
using KernelMergeInput = MoCo.Native.Merge.MergeInput;
using KernelMergeMethod = MoCo.Native.Merge.MergeMethod;

namespace MoCo.Inference.Tests.Weights;

[Collection(WeightsCollection.Name)]
public sealed class LoraMergeTests(WeightsHost host)
{
    private static readonly string[] Adapted =
    [
        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.v_proj.weight",
        "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.v_proj.weight",
    ];

    [Fact]
    public async Task Lora_apply_equals_the_native_kernel_on_each_adapted_weight_and_copies_the_rest()
    {
        var response = await host.Client.MergeAsync(Request(ContractMergeMethod.LoraApply, "lora-applied", null, (GoldenModels.Lora, 1.0, 1.0)));
        Assert.Equal((ModelKind.CausalLm, DType.F32, 4, 17, 256), (response.Kind, response.Dtype, response.TensorsMerged, response.TensorsCopied, response.VocabSize));
        var baseModel = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var adapter = await StreamedModel.ReadAsync(host.Client, GoldenModels.Lora);
        var merged = await StreamedModel.ReadAsync(host.Client, "lora-applied");
        Assert.Equal(ModelKind.CausalLm, merged.Manifest.Summary.Kind);
        AssertApplied(baseModel, adapter, merged, _ => 8f / 4);

        // An all-zero B adds nothing: the base bit for bit, and it generates as the base does.
        await host.Client.MergeAsync(Request(ContractMergeMethod.LoraApply, "zero-applied", GoldenModels.Llama, (GoldenModels.ZeroLora, 1.0, 1.0)));
        var zero = await StreamedModel.ReadAsync(host.Client, "zero-applied");
        Assert.All(baseModel.Tensors, t => Assert.True(t.Value.Data.AsSpan().SequenceEqual(zero.Tensors[t.Key].Data), t.Key));
        await WeightsAssert.GeneratesAs(host.Client, "zero-applied", GoldenModels.Llama, "Hello", 8);
    }

    [Fact]
    public async Task Lora_apply_takes_the_scale_of_a_module_from_alpha_pattern()
    {
        using var dir = new AdapterCopy(host.Models.Dir(GoldenModels.Lora));
        dir.Config(c => c["alpha_pattern"] = new JsonObject { ["v_proj"] = 16.0 });
        await host.Client.MergeAsync(Request(ContractMergeMethod.LoraApply, "alpha-pattern-applied", null, (dir.Path, 1.0, 1.0)));
        var baseModel = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var adapter = await StreamedModel.ReadAsync(host.Client, GoldenModels.Lora);
        var merged = await StreamedModel.ReadAsync(host.Client, "alpha-pattern-applied");
        AssertApplied(baseModel, adapter, merged, name => name.Contains("v_proj", StringComparison.Ordinal) ? 16f / 4 : 8f / 4);
    }

    [Fact]
    public async Task Lora_linear_sums_A_and_B_separately_into_an_adapter_served_on_the_base()
    {
        await Perturbed(host.Client, GoldenModels.Lora, "lora-b", 3);
        var response = await host.Client.MergeAsync(Request(ContractMergeMethod.LoraLinear, "lora-sum", null, (GoldenModels.Lora, 0.3, 1.0), ("lora-b", 0.9, 1.0)));
        Assert.Equal((ModelKind.Adapter, 8, 0), (response.Kind, response.TensorsMerged, response.TensorsCopied));
        var a = await StreamedModel.ReadAsync(host.Client, GoldenModels.Lora);
        var b = await StreamedModel.ReadAsync(host.Client, "lora-b");
        var sum = await StreamedModel.ReadAsync(host.Client, "lora-sum");
        Assert.Equal(ModelKind.Adapter, sum.Manifest.Summary.Kind);
        foreach (var (name, (info, data)) in a.Tensors)
        {
            var desc = new TensorDesc(MocoDtype.F32, [.. info.Shape]);
            var spec = new MergeSpec(KernelMergeMethod.Linear, name, [new KernelMergeInput(desc, 0.3f, 0), new KernelMergeInput(desc, 0.9f, 1)]) { Normalize = false };
            var expected = new byte[data.Length];
            Merges.MergeTensor(spec, [data, b.Tensors[name].Data], ReadOnlyMemory<byte>.Empty, expected);
            Assert.True(expected.AsSpan().SequenceEqual(sum.Tensors[name].Data), name);
        }
        await WeightsAssert.Generates(host.Client, "lora-sum", 6);
    }

    [Fact]
    public async Task Lora_linear_of_one_adapter_at_weight_one_generates_as_the_adapter_and_at_weight_zero_as_the_base()
    {
        // LoRAHub's one-hot composition (methods-logit-weight.md §8 (a)): w = e_i is adapter i, w = 0 the bare base.
        await host.Client.MergeAsync(Request(ContractMergeMethod.LoraLinear, "lora-one-hot", null, (GoldenModels.Lora, 1.0, 1.0), (GoldenModels.ZeroLora, 0.0, 1.0)));
        await host.Client.MergeAsync(Request(ContractMergeMethod.LoraLinear, "lora-none", null, (GoldenModels.Lora, 0.0, 1.0), (GoldenModels.ZeroLora, 0.0, 1.0)));

        await WeightsAssert.GeneratesAs(host.Client, "lora-one-hot", GoldenModels.Lora, "Hello", 8);
        await WeightsAssert.GeneratesAs(host.Client, "lora-none", GoldenModels.Llama, "Hello", 8);
        // The adapter does change the output, so the two checks tell the compositions apart.
        var ids = GoldenModels.Ids("Hello");
        var adapted = await MoCo.Inference.Tests.Serving.Generation.RunAsync(host.Client, MoCo.Inference.Tests.Serving.Requests.Generate(GoldenModels.Lora, ids, 8));
        var bare = await MoCo.Inference.Tests.Serving.Generation.RunAsync(host.Client, MoCo.Inference.Tests.Serving.Requests.Generate(GoldenModels.Llama, ids, 8));
        Assert.NotEqual(Assert.Single(bare.Finals).TokenIds, Assert.Single(adapted.Finals).TokenIds);
    }

    [Theory]
    [InlineData("missing-target", "inputs[0].model", "model.layers.7.self_attn.q_proj.weight")]
    [InlineData("rank", "inputs[0].model", "rank mismatch")]
    [InlineData("rank-pattern", "inputs[0].model", "module 'model.layers.0.self_attn.q_proj': rank mismatch")]
    [InlineData("dora", "inputs[0].model", "DoRA")]
    [InlineData("bias", "inputs[0].model", "bias")]
    [InlineData("full-model", "inputs[0].model", "not a LoRA adapter")]
    [InlineData("output-dtype", "output_dtype", "base's own dtype")]
    [InlineData("two-inputs", "inputs", "exactly one input")]
    public async Task Lora_apply_refuses_what_M9_cannot_merge_naming_the_field(string fault, string field, string message)
    {
        using var dir = new AdapterCopy(host.Models.Dir(GoldenModels.Lora));
        var request = Request(ContractMergeMethod.LoraApply, $"bad-{fault}", null, (dir.Path, 1.0, 1.0));
        switch (fault)
        {
            case "missing-target":
                dir.RenameTensors("layers.1.", "layers.7.");
                break;
            case "rank":
                dir.Config(c => c["r"] = 2);
                break;
            case "rank-pattern":
                dir.Config(c => c["rank_pattern"] = new JsonObject { ["q_proj"] = 2 });
                break;
            case "dora":
                dir.Config(c => c["use_dora"] = true);
                break;
            case "bias":
                dir.Config(c => c["bias"] = "all");
                break;
            case "full-model":
                request.Inputs[0].Model = GoldenModels.Llama;
                break;
            case "output-dtype":
                request.OutputDtype = DType.Bf16;
                break;
            default:
                request.Inputs.Add(request.Inputs[0].Clone());
                break;
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        await WeightsAssert.NotRegistered(host.Client, $"bad-{fault}");
    }

    [Fact]
    public async Task Lora_linear_refuses_adapters_of_another_scale_and_a_normalised_sum()
    {
        using var dir = new AdapterCopy(host.Models.Dir(GoldenModels.Lora));
        dir.Config(c => c["lora_alpha"] = 16.0);
        var scale = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(Request(ContractMergeMethod.LoraLinear, "bad-scale", null, (GoldenModels.Lora, 0.5, 1.0), (dir.Path, 0.5, 1.0))).ResponseAsync);
        Assert.Equal("inputs[1].model", Assert.Single(MocoErrors.FieldViolations(scale)).Field);
        Assert.Contains("scale", scale.Status.Detail, StringComparison.Ordinal);

        var normalised = Request(ContractMergeMethod.LoraLinear, "bad-normalised", null, (GoldenModels.Lora, 0.5, 1.0), (GoldenModels.ZeroLora, 0.5, 1.0));
        normalised.Params = new MergeParams { Normalize = true };
        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(normalised).ResponseAsync);
        Assert.Equal("params.normalize", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }

    // Each adapted weight of merged equals the kernel applied to the base's with the adapter's A and B at scale(name); the rest is the base's.
    private static void AssertApplied(StreamedModel baseModel, StreamedModel adapter, StreamedModel merged, Func<string, float> scale)
    {
        foreach (var (name, (info, data)) in baseModel.Tensors)
        {
            var expected = data;
            if (Adapted.Contains(name))
            {
                var path = "base_model.model." + name[..^".weight".Length];
                var (rows, cols) = (info.Shape[0], info.Shape[1]);
                expected = new byte[data.Length];
                LoraApply.Apply(data, MocoDtype.F32, rows, cols, adapter.Tensors[path + ".lora_A.weight"].Data, MocoDtype.F32,
                    adapter.Tensors[path + ".lora_B.weight"].Data, MocoDtype.F32, 4, scale(name), false, 0, rows, expected, MocoDtype.F32);
                Assert.False(expected.AsSpan().SequenceEqual(data), $"{name}: the adapter changes it");
            }
            Assert.True(expected.AsSpan().SequenceEqual(merged.Tensors[name].Data), name);
        }
    }

    // A copy of an adapter folder, named by its path, to change one thing in.
    private sealed class AdapterCopy : IDisposable
    {
        public AdapterCopy(string source)
        {
            Path = Directory.CreateTempSubdirectory("moco-adapter-").FullName;
            foreach (var file in Directory.EnumerateFiles(source))
            {
                File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
            }
        }

        public string Path { get; }

        public void Config(Action<JsonObject> edit)
        {
            var file = System.IO.Path.Combine(Path, "adapter_config.json");
            var config = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            edit(config);
            File.WriteAllText(file, config.ToJsonString());
        }

        // Same-length names keep the safetensors header's length and offsets.
        public void RenameTensors(string from, string to)
        {
            var file = System.IO.Path.Combine(Path, "adapter_model.safetensors");
            var bytes = File.ReadAllBytes(file);
            var length = (int)BitConverter.ToUInt64(bytes, 0);
            var header = Encoding.UTF8.GetString(bytes, 8, length).Replace(from, to, StringComparison.Ordinal);
            Encoding.UTF8.GetBytes(header).CopyTo(bytes, 8);
            File.WriteAllBytes(file, bytes);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
