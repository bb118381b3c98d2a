using System.Text.Json.Nodes;
using MergeWarning = MoCo.Contracts.V1.MergeWarning;
using MoCo.Hosting.Errors;
using MoCo.Native;
using MoCo.Native.Merge;

namespace MoCo.Inference.Weights;

/// <summary>What a merge wrote.</summary>
public sealed record MergeOutcome(MocoDtype Dtype, int VocabSize, int Merged, int Copied, IReadOnlyList<MergeWarning> Warnings);

/// <summary>
/// Merges the source model's tensors into a staging folder (methods-logit-weight.md §1.2 "Which tensors"), a few at
/// once (<see cref="MergeParallelism"/>): every floating tensor present in all inputs goes through a
/// <see cref="MergePlan"/> fed chunks of whole output rows read from the safetensors files, so at most a few chunks per
/// input and tensor in flight are in memory; the others are copied from the source (base, else first input), whose
/// config and tokenizer files the output takes. Also M10 (LORA_LINEAR): the same unnormalised M1 over adapter tensors.
/// </summary>
public sealed class MergeRunner
{
    private static readonly string[] EmbeddingSuffixes = ["embed_tokens.weight", "lm_head.weight", "wte.weight", "word_embeddings.weight"];

    private readonly MergeSettings _settings;
    private readonly IReadOnlyList<IReadOnlyDictionary<string, SafetensorsTensor>> _inputs;
    private readonly IReadOnlyDictionary<string, SafetensorsTensor>? _base;
    private readonly IReadOnlyList<SafetensorsTensor> _source;
    private readonly MocoDtype _dtype;
    private readonly List<MergeWarning> _warnings = [];

    public MergeRunner(MergeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _inputs = [.. settings.Inputs.Select(i => ByName(i.Directory))];
        _base = settings.Base is { } b ? ByName(b.Directory) : null;
        _source = SafetensorsTensors.Read(settings.Source.Directory);
        _dtype = settings.OutputDtype ?? StorageDtype(_source);
    }

    /// <summary>Writes the merged model (weights file, config, tokenizer) into <paramref name="staging"/>, tensors in
    /// parallel as <see cref="MergeParallelism"/> bounds them.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the tensor the kernels refuse.</exception>
    public MergeOutcome Run(string staging, string weightsFile, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(staging);
        var plans = _source.Select(t => (Source: t, Spec: Spec(t))).ToList();
        var entries = plans.Select(p => p.Spec is null
            ? new TensorEntry(p.Source.Name, p.Source.Dtype, p.Source.Shape, p.Source.Bytes)
            : Output(p.Spec)).ToList();
        using (var reader = new TensorReader())
        using (var output = new OutputWeights(Path.Combine(staging, weightsFile), entries))
        {
            MergeParallelism.ForEach(plans, p => p.Source.Bytes, p =>
            {
                if (p.Spec is null)
                {
                    output.Copy(p.Source.Name, p.Source, reader);
                }
                else
                {
                    Merge(p.Spec, output, reader);
                }
            }, cancel);
        }
        var vocab = CopyFiles(staging, entries);
        var merged = plans.Count(p => p.Spec is not null);
        return new MergeOutcome(_dtype, vocab, merged, plans.Count - merged, _warnings);
    }

    // The spec of a tensor to merge, or null when it is copied (integer, or missing from an input or the base).
    private MergeSpec? Spec(SafetensorsTensor source)
    {
        if (WeightDtypes.ToKernel(source.Dtype) is null)
        {
            return null;
        }
        var inputs = new List<MergeInput>();
        for (var i = 0; i < _inputs.Count; i++)
        {
            if (!_inputs[i].TryGetValue(source.Name, out var t) || WeightDtypes.ToKernel(t.Dtype) is not { } dtype)
            {
                if (_settings.Method == MergeMethod.Extrapolate)
                {
                    throw Invalid(source.Name, $"input '{_settings.Inputs[i].Model}' lacks it; EXTRAPOLATE needs every tensor on both sides (M8)");
                }
                _warnings.Add(new MergeWarning { Tensor = source.Name, Input = _settings.Inputs[i].Model, Reason = "copied: missing or not floating in this input" });
                return null;
            }
            var s = _settings.Inputs[i];
            inputs.Add(new MergeInput(new TensorDesc(dtype, t.Shape), s.Weight, s.Index, s.Density));
        }
        var spec = _settings.Parameters(new MergeSpec(_settings.Method, source.Name, inputs)
        {
            Base = _base is null ? null : new TensorDesc(WeightDtypes.ToKernel(source.Dtype)!.Value, source.Shape),
            IsEmbedding = EmbeddingSuffixes.Any(s => source.Name.EndsWith(s, StringComparison.Ordinal)),
            OutputDtype = _dtype,
        });
        using var plan = Create(spec);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (!plan.IsInputUsed(i))
            {
                _warnings.Add(new MergeWarning { Tensor = source.Name, Input = _settings.Inputs[i].Model, Reason = "skipped: shape mismatch" });
            }
        }
        return spec;
    }

    private static TensorEntry Output(MergeSpec spec)
    {
        using var plan = Create(spec);
        var o = plan.Info.Output;
        return new TensorEntry(spec.TensorName, WeightDtypes.FromKernel(o.Dtype), [.. o.Shape], o.ByteLength);
    }

    private void Merge(MergeSpec spec, OutputWeights output, TensorReader reader)
    {
        using var plan = Create(spec);
        var cols = Math.Max(1, plan.Info.Cols);
        var rows = plan.Info.Numel / cols;
        var rowsPerChunk = Math.Max(1, MergeParallelism.ChunkElements / cols);
        var chunk = new ChunkReader(plan, reader, _inputs.Select(d => d[spec.TensorName]).ToList(),
            _base is not null && spec.Method != MergeMethod.Linear ? _base[spec.TensorName] : null, Math.Min(rows, rowsPerChunk), cols);
        var outBytes = new byte[Math.Min(rows, rowsPerChunk) * cols * _dtype.ElementSize()];
        try
        {
            while (plan.NeedsScan)
            {
                for (var r = 0L; r < rows; r += rowsPerChunk)
                {
                    var n = Math.Min(rowsPerChunk, rows - r);
                    chunk.Read(r, n);
                    plan.Scan(chunk.Inputs, chunk.Base, r * cols, n * cols);
                }
                plan.EndPass();
            }
            for (var r = 0L; r < rows; r += rowsPerChunk)
            {
                var n = Math.Min(rowsPerChunk, rows - r);
                chunk.Read(r, n);
                var bytes = (int)(n * cols * _dtype.ElementSize());
                plan.Apply(chunk.Inputs, chunk.Base, r * cols, n * cols, outBytes.AsSpan(0, bytes));
                output.Write(spec.TensorName, r * cols * _dtype.ElementSize(), outBytes.AsSpan(0, bytes));
            }
        }
        catch (MocoException e) when (e.Status is MocoStatus.InvalidArgument or MocoStatus.Numeric)
        {
            throw Invalid(spec.TensorName, e.Message);
        }
    }

    // Config and tokenizer from the source; M2 (fix): config.json's vocab_size becomes the merged head's rows.
    private int CopyFiles(string staging, List<TensorEntry> entries)
    {
        ModelFiles.CopyNonWeights(_settings.Source.Directory, staging);
        var rows = HeadRows(entries);
        var configPath = Path.Combine(staging, ModelFiles.Config);
        if (rows == 0 || !File.Exists(configPath))
        {
            return rows;
        }
        if (JsonNode.Parse(File.ReadAllText(configPath)) is JsonObject config && config["vocab_size"]?.GetValue<int>() != rows)
        {
            config["vocab_size"] = rows;
            File.WriteAllText(configPath, config.ToJsonString());
        }
        return rows;
    }

    /// <summary>Rows of the output head (lm_head, else the embedding); 0 when there is no 2-D one.</summary>
    internal static int HeadRows(IReadOnlyList<TensorEntry> entries)
    {
        var head = entries.FirstOrDefault(e => e.Name.EndsWith("lm_head.weight", StringComparison.Ordinal))
            ?? entries.FirstOrDefault(e => EmbeddingSuffixes.Any(s => e.Name.EndsWith(s, StringComparison.Ordinal)));
        return head is { Shape.Length: 2 } ? (int)head.Shape[0] : 0;
    }

    private static MergePlan Create(MergeSpec spec)
    {
        try
        {
            return MergePlan.Create(spec);
        }
        catch (MocoException e) when (e.Status == MocoStatus.InvalidArgument)
        {
            throw Invalid(spec.TensorName, e.Message);
        }
    }

    /// <summary>The dtype most of a model's floating tensors have (F32 when none is floating).</summary>
    internal static MocoDtype StorageDtype(IReadOnlyList<SafetensorsTensor> tensors) =>
        tensors.Select(t => WeightDtypes.ToKernel(t.Dtype)).OfType<MocoDtype>().GroupBy(d => d).OrderByDescending(g => g.Count()).Select(g => g.Key)
            .DefaultIfEmpty(MocoDtype.F32).First();

    private static Dictionary<string, SafetensorsTensor> ByName(string directory) =>
        SafetensorsTensors.Read(directory).ToDictionary(t => t.Name, StringComparer.Ordinal);

    private static Grpc.Core.RpcException Invalid(string tensor, string what) =>
        MocoErrors.InvalidArgument(new Problem("inputs", "MERGE_INVALID", $"tensor '{tensor}': {what}",
            new Dictionary<string, string> { ["tensor"] = tensor }));
}
