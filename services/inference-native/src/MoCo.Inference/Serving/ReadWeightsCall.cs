using Google.Protobuf;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Weights;

namespace MoCo.Inference.Serving;

/// <summary>
/// ReadWeights (contracts.md §4): the manifest, then every non-weight file, then the tensors, each cut into chunks of at
/// most chunk_bytes read straight from the safetensors files, so at most one chunk is in memory whatever the model's size.
/// </summary>
public sealed class ReadWeightsCall(ModelRegistry registry)
{
    /// <summary>The largest chunk, and the default.</summary>
    public const int MaxChunkBytes = 4 * 1024 * 1024;

    /// <summary>Streams one model.</summary>
    /// <exception cref="RpcException">NOT_FOUND (model), INVALID_ARGUMENT (chunk_bytes, an unknown name, a dtype the contracts cannot carry).</exception>
    public async Task RunAsync(ReadWeightsRequest request, IServerStreamWriter<ReadWeightsResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responses);
        var chunk = request.ChunkBytes ?? MaxChunkBytes;
        if (chunk is <= 0 or > MaxChunkBytes)
        {
            throw MocoErrors.InvalidArgument(new Problem("chunk_bytes", "OUT_OF_RANGE", $"chunk_bytes is {chunk}; it must be in [1, {MaxChunkBytes}]"));
        }
        var resolution = registry.Resolve(request.Model);
        var directory = resolution.Directory!;
        var tensors = Select(SafetensorsTensors.Read(directory), request.Names);
        var files = ModelFiles.NonWeights(directory);
        var manifest = new WeightsManifest { ConfigJson = ModelFiles.ConfigText(directory), Summary = registry.Summary(resolution) };
        manifest.Files.Add(files);
        manifest.Tensors.Add(tensors.Select(t => new TensorInfo { Name = t.Name, Dtype = Wire(t), Shape = { t.Shape }, Bytes = (ulong)t.Bytes }));
        var cancel = context.CancellationToken;
        await responses.WriteAsync(new ReadWeightsResponse { Manifest = manifest }, cancel).ConfigureAwait(false);
        var buffer = new byte[chunk];
        foreach (var name in files)
        {
            await using var stream = File.OpenRead(Path.Combine(directory, name));
            var total = (ulong)stream.Length;
            var offset = 0UL;
            do
            {
                var n = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
                var file = new FileChunk { Name = name, Offset = offset, Data = ByteString.CopyFrom(buffer, 0, n), TotalBytes = total, Last = offset + (ulong)n >= total };
                offset += (ulong)n;
                await responses.WriteAsync(new ReadWeightsResponse { File = file }, cancel).ConfigureAwait(false);
            }
            while (offset < total);
        }
        foreach (var t in tensors)
        {
            var offset = 0L;
            do
            {
                var n = (int)Math.Min(chunk, t.Bytes - offset);
                t.Read(offset, buffer.AsSpan(0, n));
                var piece = new TensorChunk
                {
                    Name = t.Name, Dtype = Wire(t), Offset = (ulong)offset, Data = ByteString.CopyFrom(buffer, 0, n),
                    TotalBytes = (ulong)t.Bytes, Last = offset + n >= t.Bytes,
                };
                piece.Shape.Add(t.Shape);
                offset += n;
                await responses.WriteAsync(new ReadWeightsResponse { Tensor = piece }, cancel).ConfigureAwait(false);
            }
            while (offset < t.Bytes);
        }
    }

    private static List<SafetensorsTensor> Select(IReadOnlyList<SafetensorsTensor> all, IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            return [.. all];
        }
        var byName = all.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var missing = names.Select((n, i) => (n, i)).Where(x => !byName.ContainsKey(x.n)).ToList();
        if (missing.Count > 0)
        {
            throw MocoErrors.InvalidArgument([.. missing.Select(m => new Problem($"names[{m.i}]", "UNKNOWN_TENSOR", $"the model has no tensor '{m.n}'"))]);
        }
        return [.. names.Distinct(StringComparer.Ordinal).Select(n => byName[n])];
    }

    private static DType Wire(SafetensorsTensor t)
    {
        var wire = WeightDtypes.ToWire(t.Dtype);
        return wire != DType.Unspecified ? wire
            : throw MocoErrors.InvalidArgument(new Problem("names", "UNSUPPORTED_DTYPE", $"tensor '{t.Name}' is {t.Dtype}, which the contracts' DType cannot carry"));
    }
}
