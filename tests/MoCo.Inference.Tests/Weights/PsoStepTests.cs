using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Kernels;
using MoCo.Testing.Inference;
using static MoCo.Inference.Tests.Weights.MergeRequests;

namespace MoCo.Inference.Tests.Weights;

[Collection(WeightsCollection.Name)]
public sealed class PsoStepTests(WeightsHost host)
{
    [Fact]
    public async Task Pso_step_writes_x_and_v_equal_to_the_native_kernel_and_registers_both()
    {
        await Perturbed(host.Client, GoldenModels.Llama, "pso-v", 21);
        await Perturbed(host.Client, GoldenModels.Llama, "pso-p", 22);
        await Perturbed(host.Client, GoldenModels.Llama, "pso-w", 23);
        var request = Step(GoldenModels.Llama, "pso-v", "pso-p", GoldenModels.Llama, "pso-w");
        request.OutputId = "pso-x1";
        request.Params.PsoStep.VelocityOutputId = "pso-v1";
        var response = await host.Client.MergeAsync(request);
        Assert.Equal(("pso-x1", "pso-v1", ModelKind.CausalLm, 21, 0), (response.ModelId, response.VelocityModelId, response.Kind, response.TensorsMerged, response.TensorsCopied));

        var inputs = await Task.WhenAll(new[] { GoldenModels.Llama, "pso-v", "pso-p", GoldenModels.Llama, "pso-w" }.Select(m => StreamedModel.ReadAsync(host.Client, m)));
        var x1 = await StreamedModel.ReadAsync(host.Client, "pso-x1");
        var v1 = await StreamedModel.ReadAsync(host.Client, "pso-v1");
        foreach (var (name, (info, data)) in inputs[0].Tensors)
        {
            var count = data.Length / 4;
            var (x, v) = (new byte[data.Length], new byte[data.Length]);
            PsoStep.Step(data, inputs[1].Tensors[name].Data, inputs[2].Tensors[name].Data, inputs[3].Tensors[name].Data, inputs[4].Tensors[name].Data,
                MocoDtype.F32, count, 0.2f, 0.3f, 0.4f, 0.05f, 0.5f, x, v, MocoDtype.F32);
            Assert.True(x.AsSpan().SequenceEqual(x1.Tensors[name].Data), $"x' {name}");
            Assert.True(v.AsSpan().SequenceEqual(v1.Tensors[name].Data), $"v' {name}");
        }
        await WeightsAssert.Generates(host.Client, "pso-x1", 4);
    }

    [Fact]
    public async Task Pso_step_refuses_missing_coefficients_models_that_do_not_match_x_and_one_id_for_both_outputs()
    {
        var missing = Step(GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama, "");
        missing.Params.PsoStep.Step = null;
        missing.Params.PsoStep.C = 1e39;
        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(missing).ResponseAsync);
        Assert.Equal(["params.pso_step.w", "params.pso_step.c", "params.pso_step.step"], MocoErrors.FieldViolations(error).Select(v => v.Field));

        var mismatch = Step(GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Lora, GoldenModels.Llama, GoldenModels.Llama);
        mismatch.OutputId = "pso-bad";
        error = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(mismatch).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("params.pso_step.p", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Contains("this model lacks it", error.Status.Detail, StringComparison.Ordinal);
        await WeightsAssert.NotRegistered(host.Client, "pso-bad");

        // Finite coefficients whose step overflows f32: the kernel refuses a tensor mid-merge, and neither output stays.
        var overflow = Step(GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama);
        (overflow.OutputId, overflow.Params.PsoStep.VelocityOutputId, overflow.Params.PsoStep.A, overflow.Params.PsoStep.Step) = ("pso-inf", "pso-inf-v", 3e38, 3e38);
        error = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(overflow).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("params.pso_step", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Contains("not both finite", error.Status.Detail, StringComparison.Ordinal);
        await WeightsAssert.NotRegistered(host.Client, "pso-inf");
        await WeightsAssert.NotRegistered(host.Client, "pso-inf-v");

        var same = Step(GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama, GoldenModels.Llama);
        same.OutputId = "pso-same";
        same.Params.PsoStep.VelocityOutputId = "pso-same";
        error = await Assert.ThrowsAsync<RpcException>(() => host.Client.MergeAsync(same).ResponseAsync);
        Assert.Equal("params.pso_step.velocity_output_id", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }

    private static MergeRequest Step(string x, string v, string p, string g, string w) => new()
    {
        Method = MergeMethod.PsoStep,
        CallKey = $"pso {x} {v} {p} {g} {w}",
        Params = new MergeParams { PsoStep = new PsoStepParams { X = x, V = v, P = p, G = g, W = w, A = 0.2, B = 0.3, C = 0.4, D = 0.05, Step = 0.5 } },
    };
}
