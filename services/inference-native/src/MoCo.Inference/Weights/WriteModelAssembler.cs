using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Weights;

/// <summary>
/// Builds a model folder from WriteModel chunks in a staging folder: file chunks go to their files, tensor chunks to
/// one scratch file (each tensor at its own region, so chunks may come in any order); <see cref="Finish"/> checks that
/// everything is complete and consistent and writes the single safetensors file with a header of its own. Every
/// inconsistency is INVALID_ARGUMENT naming the part; the caller removes the staging folder then.
/// </summary>
public sealed class WriteModelAssembler(string staging)
{
    private const string Scratch = ".tensors.scratch";
    private readonly Dictionary<string, ChunkedPart> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ChunkedPart Part, TensorEntry Entry)> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private long _scratchLength;

    /// <summary>Payload bytes received.</summary>
    public long Bytes { get; private set; }

    /// <summary>Tensors received.</summary>
    public int Tensors => _tensors.Count;

    /// <summary>Writes a file chunk.</summary>
    public void Add(FileChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (!ModelFiles.IsPlainName(chunk.Name) || chunk.Name.EndsWith(".safetensors", StringComparison.Ordinal) || chunk.Name.StartsWith('.'))
        {
            throw Invalid("file.name", $"file name '{chunk.Name}' must be a plain file name of the model folder, not hidden and not a .safetensors file (weights come as tensor chunks)");
        }
        CheckSize(chunk.Data.Length, "file.data");
        if (!_files.TryGetValue(chunk.Name, out var part))
        {
            part = new ChunkedPart((long)chunk.TotalBytes, 0);
            _files[chunk.Name] = part;
        }
        else if (part.Total != (long)chunk.TotalBytes)
        {
            throw Invalid("file.total_bytes", $"file '{chunk.Name}': a chunk says {chunk.TotalBytes} bytes, an earlier one {part.Total}");
        }
        Record(part, chunk.Name, (long)chunk.Offset, chunk.Data.Length, chunk.Last, "file");
        using var handle = File.OpenHandle(Path.Combine(staging, chunk.Name), FileMode.OpenOrCreate, FileAccess.Write);
        RandomAccess.Write(handle, chunk.Data.Span, (long)chunk.Offset);
    }

    /// <summary>Writes a tensor chunk.</summary>
    public void Add(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.Name.Length == 0)
        {
            throw Invalid("tensor.name", "a tensor chunk has no name");
        }
        CheckSize(chunk.Data.Length, "tensor.data");
        var dtype = WeightDtypes.ToSafetensors(chunk.Dtype)
            ?? throw Invalid("tensor.dtype", $"tensor '{chunk.Name}' has dtype {chunk.Dtype}; name the storage dtype");
        long[] shape = [.. chunk.Shape];
        var bytes = shape.Aggregate(1L, (a, b) => b < 0 ? -1 : a * b) * WeightDtypes.Size(chunk.Dtype);
        if (shape.Any(d => d < 0) || bytes != (long)chunk.TotalBytes)
        {
            throw Invalid("tensor.total_bytes", $"tensor '{chunk.Name}': {chunk.TotalBytes} bytes do not match shape [{string.Join(", ", shape)}] of {dtype}");
        }
        if (_tensors.TryGetValue(chunk.Name, out var known))
        {
            if (known.Entry.Dtype != dtype || !known.Entry.Shape.SequenceEqual(shape))
            {
                throw Invalid("tensor", $"tensor '{chunk.Name}': a chunk says {dtype} [{string.Join(", ", shape)}], an earlier one {known.Entry.Dtype} [{string.Join(", ", known.Entry.Shape)}]");
            }
        }
        else
        {
            known = (new ChunkedPart(bytes, _scratchLength), new TensorEntry(chunk.Name, dtype, shape, bytes));
            _tensors[chunk.Name] = known;
            _order.Add(chunk.Name);
            _scratchLength += bytes;
        }
        Record(known.Part, chunk.Name, (long)chunk.Offset, chunk.Data.Length, chunk.Last, "tensor");
        using var handle = File.OpenHandle(Path.Combine(staging, Scratch), FileMode.OpenOrCreate, FileAccess.Write);
        RandomAccess.Write(handle, chunk.Data.Span, known.Part.Position + (long)chunk.Offset);
    }

    /// <summary>Checks completeness, writes the weights file and fixes the adapter's base; returns the kind written.</summary>
    public ModelKind Finish(ModelKind declared, string baseModel)
    {
        foreach (var (name, part) in _files.Concat(_tensors.Select(t => KeyValuePair.Create(t.Key, t.Value.Part))))
        {
            if (!part.Complete)
            {
                var what = _files.ContainsKey(name) ? "file" : "tensor";
                throw Invalid(what, $"{what} '{name}' is incomplete: {part.Received} of {part.Total} bytes arrived");
            }
        }
        var adapter = _files.ContainsKey(ModelFiles.AdapterConfig);
        var full = _files.ContainsKey(ModelFiles.Config);
        var kind = declared == ModelKind.Unspecified ? (adapter && !full ? ModelKind.Adapter : ModelKind.CausalLm) : declared;
        if (kind == ModelKind.Adapter ? !adapter : !full)
        {
            throw Invalid("file", $"a {(kind == ModelKind.Adapter ? "adapter" : "full model")} needs {(kind == ModelKind.Adapter ? ModelFiles.AdapterConfig : ModelFiles.Config)}; it was not sent");
        }
        if (_tensors.Count == 0)
        {
            throw Invalid("tensor", "no tensor was sent");
        }
        WriteWeights(kind == ModelKind.Adapter ? ModelFiles.AdapterWeights : ModelFiles.ModelWeights);
        if (kind == ModelKind.Adapter && baseModel.Length > 0)
        {
            // The adapter loads onto the base its config names; the header's base_model is the caller's word for it.
            var path = Path.Combine(staging, ModelFiles.AdapterConfig);
            var config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw Invalid("file", $"{ModelFiles.AdapterConfig} is not a JSON object");
            config["base_model_name_or_path"] = baseModel;
            File.WriteAllText(path, config.ToJsonString());
        }
        return kind;
    }

    private void WriteWeights(string fileName)
    {
        var layout = new SafetensorsLayout([.. _order.Select(n => _tensors[n].Entry)]);
        var scratchPath = Path.Combine(staging, Scratch);
        using (var output = layout.Create(Path.Combine(staging, fileName)))
        using (var scratch = File.OpenHandle(scratchPath))
        {
            var buffer = new byte[1 << 22];
            foreach (var name in _order)
            {
                var part = _tensors[name].Part;
                for (var done = 0L; done < part.Total;)
                {
                    var n = RandomAccess.Read(scratch, buffer.AsSpan(0, (int)Math.Min(buffer.Length, part.Total - done)), part.Position + done);
                    RandomAccess.Write(output, buffer.AsSpan(0, n), layout.Position(name) + done);
                    done += n;
                }
            }
        }
        File.Delete(scratchPath);
    }

    private void Record(ChunkedPart part, string name, long offset, long length, bool last, string what)
    {
        if (part.Add(offset, length) is { } problem)
        {
            throw Invalid($"{what}.offset", $"{what} '{name}': {problem}");
        }
        if (last && offset + length != part.Total)
        {
            throw Invalid($"{what}.last", $"{what} '{name}': the chunk flagged last ends at byte {offset + length} of {part.Total}");
        }
        Bytes += length;
    }

    private static void CheckSize(int length, string field)
    {
        if (length > Serving.ReadWeightsCall.MaxChunkBytes)
        {
            throw Invalid(field, $"a chunk of {length} bytes is larger than {Serving.ReadWeightsCall.MaxChunkBytes}");
        }
    }

    private static Grpc.Core.RpcException Invalid(string field, string what) =>
        MocoErrors.InvalidArgument(new Problem(field, "INCONSISTENT_CHUNKS", what + "; nothing was registered"));
}
