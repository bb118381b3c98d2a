using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Weights;

/// <summary>
/// PSO_STEP (M11): one fused pass over the five tensor sets x, v, p, g, w writing x′ and v′, chunk by chunk. Every
/// floating tensor of x must be in the other four with its dtype and shape; integer tensors are copied from x into
/// both outputs, as are x's config and tokenizer files.
/// </summary>
public sealed class PsoStepRunner(PsoStepSettings settings)
{
    /// <summary>Writes x′ into <paramref name="positionStaging"/> and v′ into <paramref name="velocityStaging"/>, both as <paramref name="weightsFile"/>.</summary>
    /// <returns>x′'s outcome (v′ has the same tensors and dtype).</returns>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming params.pso_step.{v,p,g,w} and the tensor that does not match x's.</exception>
    public MergeOutcome Run(string positionStaging, string velocityStaging, string weightsFile, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var x = SafetensorsTensors.Read(settings.X.Directory);
        var others = settings.Others.Select(o => (o.Field, Tensors: SafetensorsTensors.Read(o.Source.Directory).ToDictionary(t => t.Name, StringComparer.Ordinal))).ToList();
        var dtype = settings.OutputDtype ?? MergeRunner.StorageDtype(x);
        var jobs = x.Select(t => (X: t, Others: WeightDtypes.ToKernel(t.Dtype) is null ? null : others.Select(o => Match(t, o.Field, o.Tensors)).ToArray())).ToList();
        var entries = jobs.Select(j => j.Others is null
            ? new TensorEntry(j.X.Name, j.X.Dtype, j.X.Shape, j.X.Bytes)
            : new TensorEntry(j.X.Name, WeightDtypes.FromKernel(dtype), j.X.Shape, j.X.Numel * dtype.ElementSize())).ToList();
        using (var reader = new TensorReader())
        using (var position = new OutputWeights(Path.Combine(positionStaging, weightsFile), entries))
        using (var velocity = new OutputWeights(Path.Combine(velocityStaging, weightsFile), entries))
        {
            MergeParallelism.ForEach(jobs, j => j.X.Bytes, j =>
            {
                if (j.Others is null)
                {
                    position.Copy(j.X.Name, j.X, reader);
                    velocity.Copy(j.X.Name, j.X, reader);
                }
                else
                {
                    Step(j.X, j.Others, dtype, position, velocity, reader);
                }
            }, cancel);
        }
        ModelFiles.CopyNonWeights(settings.X.Directory, positionStaging);
        ModelFiles.CopyNonWeights(settings.X.Directory, velocityStaging);
        var stepped = jobs.Count(j => j.Others is not null);
        return new MergeOutcome(dtype, MergeRunner.HeadRows(entries), stepped, jobs.Count - stepped, []);
    }

    private static SafetensorsTensor Match(SafetensorsTensor x, string field, Dictionary<string, SafetensorsTensor> tensors)
    {
        if (!tensors.TryGetValue(x.Name, out var t) || t.Dtype != x.Dtype || !t.Shape.SequenceEqual(x.Shape))
        {
            var found = t is null ? "lacks it" : $"has it as {t.Dtype} [{string.Join(", ", t.Shape)}]";
            throw MocoErrors.InvalidArgument(new Problem(field, "MERGE_INVALID",
                $"tensor '{x.Name}': x has it as {x.Dtype} [{string.Join(", ", x.Shape)}] and this model {found}; the five PSO models must hold the same tensors (M11)",
                new Dictionary<string, string> { ["tensor"] = x.Name }));
        }
        return t;
    }

    // v, p, g, w in that order, as the kernel takes them.
    private void Step(SafetensorsTensor x, SafetensorsTensor[] rest, MocoDtype dtype, OutputWeights position, OutputWeights velocity, TensorReader reader)
    {
        var inDtype = WeightDtypes.ToKernel(x.Dtype)!.Value;
        var chunk = Math.Min(x.Numel, MergeParallelism.ChunkElements);
        var inputs = Enumerable.Range(0, 5).Select(_ => new byte[chunk * inDtype.ElementSize()]).ToArray();
        var xOut = new byte[chunk * dtype.ElementSize()];
        var vOut = new byte[xOut.Length];
        SafetensorsTensor[] tensors = [x, .. rest];
        var p = settings.Coefficients;
        for (var e = 0L; e < x.Numel; e += chunk)
        {
            var n = Math.Min(chunk, x.Numel - e);
            var inBytes = (int)(n * inDtype.ElementSize());
            for (var i = 0; i < tensors.Length; i++)
            {
                reader.Read(tensors[i], e * inDtype.ElementSize(), inputs[i].AsSpan(0, inBytes));
            }
            var outBytes = (int)(n * dtype.ElementSize());
            try
            {
                PsoStep.Step(inputs[0].AsSpan(0, inBytes), inputs[1].AsSpan(0, inBytes), inputs[2].AsSpan(0, inBytes), inputs[3].AsSpan(0, inBytes), inputs[4].AsSpan(0, inBytes),
                    inDtype, n, p.A, p.B, p.C, p.D, p.Step, xOut.AsSpan(0, outBytes), vOut.AsSpan(0, outBytes), dtype);
            }
            catch (MocoException ex) when (ex.Status is MocoStatus.InvalidArgument or MocoStatus.Numeric)
            {
                throw MocoErrors.InvalidArgument(new Problem("params.pso_step", "MERGE_INVALID", $"tensor '{x.Name}': {ex.Message}",
                    new Dictionary<string, string> { ["tensor"] = x.Name }));
            }
            position.Write(x.Name, e * dtype.ElementSize(), xOut.AsSpan(0, outBytes));
            velocity.Write(x.Name, e * dtype.ElementSize(), vOut.AsSpan(0, outBytes));
        }
    }
}
