using MoCo.Native;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Weights;

/// <summary>
/// LORA_APPLY (M9): writes the base with every adapted weight replaced by W + s·(B·A), rounded once into W's own
/// dtype (peft merge_and_unload keeps the base's dtypes), streaming W a chunk of rows at a time (A and B are small
/// and read whole); other tensors are copied. Config from the base, tokenizer files from the adapter when it has any.
/// </summary>
/// <param name="adapter">The adapter, as read.</param>
/// <param name="adapterDirectory">Its folder (tokenizer files).</param>
/// <param name="baseSource">The base it applies to.</param>
public sealed class LoraApplyRunner(LoraAdapter adapter, string adapterDirectory, MergeSource baseSource)
{
    /// <summary>Checks the pairing, then writes the model into <paramref name="staging"/>.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the adapter's field and the module: a target the base lacks, shapes that do not pair.</exception>
    public MergeOutcome Run(string staging, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(baseSource);
        var tensors = SafetensorsTensors.Read(baseSource.Directory);
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var module in adapter.Modules.Values)
        {
            Pair(module, byName.GetValueOrDefault(module.Weight));
        }
        var entries = tensors.Select(t => new TensorEntry(t.Name, t.Dtype, t.Shape, t.Bytes)).ToList();
        using (var reader = new TensorReader())
        using (var output = new OutputWeights(Path.Combine(staging, ModelFiles.ModelWeights), entries))
        {
            MergeParallelism.ForEach(tensors, t => t.Bytes, t =>
            {
                if (adapter.Modules.TryGetValue(t.Name, out var module))
                {
                    Apply(module, t, output, reader);
                }
                else
                {
                    output.Copy(t.Name, t, reader);
                }
            }, cancel);
        }
        ModelFiles.CopyNonWeights(baseSource.Directory, staging);
        foreach (var name in ModelFiles.NonWeights(adapterDirectory).Where(n => n.StartsWith("tokenizer", StringComparison.Ordinal) || n == "special_tokens_map.json"))
        {
            File.Copy(Path.Combine(adapterDirectory, name), Path.Combine(staging, name), overwrite: true);
        }
        return new MergeOutcome(MergeRunner.StorageDtype(tensors), MergeRunner.HeadRows(entries), adapter.Modules.Count, tensors.Count - adapter.Modules.Count, []);
    }

    private void Pair(LoraModule module, SafetensorsTensor? w)
    {
        if (w is null)
        {
            throw LoraAdapter.Invalid(adapter.Field, $"the adapter targets '{module.Weight}', which base '{baseSource.Model}' lacks: it is not an adapter of this base", module.Weight);
        }
        if (w.Shape.Length != 2 || WeightDtypes.ToKernel(w.Dtype) is null)
        {
            throw LoraAdapter.Invalid(adapter.Field, $"the adapter targets '{module.Weight}', a {w.Dtype} [{string.Join(", ", w.Shape)}] tensor of the base; LoRA adapts 2-D floating weights", module.Weight);
        }
        // W is [out, in] ([in, out] with fan_in_fan_out); A is [r, in], B [out, r].
        var (outputs, inputs) = adapter.FanInFanOut ? (w.Shape[1], w.Shape[0]) : (w.Shape[0], w.Shape[1]);
        if (module.A.Shape[1] != inputs || module.B.Shape[0] != outputs)
        {
            throw LoraAdapter.Invalid(adapter.Field, $"module '{module.Weight}': lora_A [{string.Join(", ", module.A.Shape)}] and lora_B [{string.Join(", ", module.B.Shape)}] "
                + $"do not fit the base's [{string.Join(", ", w.Shape)}]{(adapter.FanInFanOut ? " (fan_in_fan_out)" : "")}: A must be [r, {inputs}] and B [{outputs}, r]", module.Weight);
        }
    }

    private void Apply(LoraModule module, SafetensorsTensor w, OutputWeights output, TensorReader reader)
    {
        var a = reader.ReadAll(module.A);
        var b = reader.ReadAll(module.B);
        var dtype = WeightDtypes.ToKernel(w.Dtype)!.Value;
        var (rows, cols) = (w.Shape[0], w.Shape[1]);
        var rowsPerChunk = Math.Max(1, MergeParallelism.ChunkElements / cols);
        var rowBytes = cols * dtype.ElementSize();
        var input = new byte[Math.Min(rows, rowsPerChunk) * rowBytes];
        var merged = new byte[input.Length];
        for (var r = 0L; r < rows; r += rowsPerChunk)
        {
            var n = Math.Min(rowsPerChunk, rows - r);
            var bytes = (int)(n * rowBytes);
            reader.Read(w, r * rowBytes, input.AsSpan(0, bytes));
            try
            {
                LoraApply.Apply(input.AsSpan(0, bytes), dtype, rows, cols, a, WeightDtypes.ToKernel(module.A.Dtype)!.Value, b, WeightDtypes.ToKernel(module.B.Dtype)!.Value,
                    module.Rank, module.Scale, adapter.FanInFanOut, r, n, merged.AsSpan(0, bytes), dtype);
            }
            catch (MocoException e) when (e.Status is MocoStatus.InvalidArgument or MocoStatus.Numeric)
            {
                throw LoraAdapter.Invalid(adapter.Field, $"module '{module.Weight}': {e.Message}", module.Weight);
            }
            output.Write(w.Name, r * rowBytes, merged.AsSpan(0, bytes));
        }
    }
}
