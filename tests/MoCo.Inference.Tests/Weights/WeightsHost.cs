using Google.Protobuf;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Weights;

/// <summary>An <see cref="InferenceHost"/> over <see cref="GoldenModels"/> whose run-time models go to a temporary folder.</summary>
public sealed class WeightsHost : IAsyncLifetime
{
    private InferenceHost _host = null!;

    public GoldenModels Models { get; } = new();

    public string Runtime { get; } = Directory.CreateTempSubdirectory("moco-runtime-").FullName;

    public string Artifacts { get; } = Directory.CreateTempSubdirectory("moco-artifacts-").FullName;

    public InferenceService.InferenceServiceClient Client => _host.Client;

    public async Task InitializeAsync() =>
        _host = await InferenceHost.StartAsync(Models.Root, ("Moco:Inference:TrainedModelsDirectory", Runtime), ("Moco:Inference:ArtifactsDirectory", Artifacts));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Models.Dispose();
        Directory.Delete(Runtime, recursive: true);
        Directory.Delete(Artifacts, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class WeightsCollection : ICollectionFixture<WeightsHost>
{
    public const string Name = "weights host";
}

/// <summary>A model as ReadWeights streamed it: the manifest, the files and the tensors with their bytes.</summary>
public sealed record StreamedModel(WeightsManifest Manifest, Dictionary<string, byte[]> Files, Dictionary<string, (TensorInfo Info, byte[] Data)> Tensors, int MaxChunk)
{
    /// <summary>Reads a whole model (or the named tensors) through ReadWeights, reassembling chunks by offset.</summary>
    public static async Task<StreamedModel> ReadAsync(InferenceService.InferenceServiceClient client, string model, int? chunkBytes = null, params string[] names)
    {
        var request = new ReadWeightsRequest { Model = model, ChunkBytes = chunkBytes };
        request.Names.Add(names);
        using var call = client.ReadWeights(request);
        WeightsManifest? manifest = null;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, (TensorInfo, byte[])>(StringComparer.Ordinal);
        var maxChunk = 0;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            switch (message.PayloadCase)
            {
                case ReadWeightsResponse.PayloadOneofCase.Manifest:
                    Assert.Null(manifest);
                    manifest = message.Manifest;
                    break;
                case ReadWeightsResponse.PayloadOneofCase.File:
                    var f = message.File;
                    var fileBytes = files.TryGetValue(f.Name, out var known) ? known : files[f.Name] = new byte[f.TotalBytes];
                    f.Data.Span.CopyTo(fileBytes.AsSpan((int)f.Offset));
                    maxChunk = Math.Max(maxChunk, f.Data.Length);
                    break;
                default:
                    var t = message.Tensor;
                    var info = manifest!.Tensors.Single(i => i.Name == t.Name);
                    var data = tensors.TryGetValue(t.Name, out var k) ? k.Item2 : (tensors[t.Name] = (info, new byte[t.TotalBytes])).Item2;
                    t.Data.Span.CopyTo(data.AsSpan((int)t.Offset));
                    maxChunk = Math.Max(maxChunk, t.Data.Length);
                    break;
            }
        }
        return new StreamedModel(manifest!, files, tensors, maxChunk);
    }

    /// <summary>The WriteModel messages after the header: every file and tensor cut into chunks of <paramref name="chunk"/> bytes,
    /// tensors in reverse order and each tensor's chunks last first (the service must take any order).</summary>
    public List<WriteModelRequest> Chunks(int chunk)
    {
        var messages = new List<WriteModelRequest>();
        foreach (var (name, data) in Files)
        {
            foreach (var (offset, length) in Cuts(data.Length, chunk))
            {
                messages.Add(new WriteModelRequest
                {
                    File = new FileChunk { Name = name, Offset = (ulong)offset, Data = ByteString.CopyFrom(data, offset, length), TotalBytes = (ulong)data.Length, Last = offset + length == data.Length },
                });
            }
        }
        foreach (var (info, data) in Tensors.Values.Reverse())
        {
            foreach (var (offset, length) in Cuts(data.Length, chunk).Reverse())
            {
                var piece = new TensorChunk
                {
                    Name = info.Name, Dtype = info.Dtype, Offset = (ulong)offset, Data = ByteString.CopyFrom(data, offset, length),
                    TotalBytes = (ulong)data.Length, Last = offset + length == data.Length,
                };
                piece.Shape.Add(info.Shape);
                messages.Add(new WriteModelRequest { Tensor = piece });
            }
        }
        return messages;
    }

    /// <summary>Sends a header and <paramref name="messages"/> through WriteModel; returns the response and its headers.</summary>
    public static Task<(WriteModelResponse Response, Metadata Headers)> WriteAsync(InferenceService.InferenceServiceClient client, string id, IEnumerable<WriteModelRequest> messages) =>
        WriteAsync(client, new WriteModelHeader { ModelId = id }, messages);

    /// <summary>Sends <paramref name="header"/> and <paramref name="messages"/> through WriteModel; returns the response and its headers.</summary>
    public static async Task<(WriteModelResponse Response, Metadata Headers)> WriteAsync(InferenceService.InferenceServiceClient client, WriteModelHeader header, IEnumerable<WriteModelRequest> messages)
    {
        using var call = client.WriteModel();
        try
        {
            await call.RequestStream.WriteAsync(new WriteModelRequest { Header = header });
            foreach (var message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The server may refuse a chunk before the client has sent everything; the response carries its status.
        }
        var response = await call.ResponseAsync;
        return (response, await call.ResponseHeadersAsync);
    }

    private static IEnumerable<(int Offset, int Length)> Cuts(int total, int chunk)
    {
        var offset = 0;
        do
        {
            var n = Math.Min(chunk, total - offset);
            yield return (offset, n);
            offset += n;
        }
        while (offset < total);
    }
}
