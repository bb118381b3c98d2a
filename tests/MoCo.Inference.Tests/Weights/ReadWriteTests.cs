using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Weights;

[Collection(WeightsCollection.Name)]
public sealed class ReadWriteTests(WeightsHost host)
{
    [Fact]
    public async Task ReadWeights_sends_the_manifest_then_every_file_and_tensor_in_chunks_of_at_most_chunk_bytes()
    {
        var model = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama, chunkBytes: 1000);
        Assert.Equal(File.ReadAllText(Path.Combine(host.Models.Dir(GoldenModels.Llama), "config.json")), model.Manifest.ConfigJson);
        Assert.Contains("tokenizer.json", model.Manifest.Files);
        Assert.DoesNotContain(model.Manifest.Files, f => f.EndsWith(".safetensors", StringComparison.Ordinal));
        Assert.Equal(model.Manifest.Files.Order(), model.Files.Keys.Order());
        Assert.Equal(21, model.Manifest.Tensors.Count);
        Assert.Equal(model.Manifest.Tensors.Select(t => t.Name).Order(), model.Tensors.Keys.Order());
        var head = model.Manifest.Tensors.Single(t => t.Name == "lm_head.weight");
        Assert.Equal((DType.F32, 256UL * 32 * 4), (head.Dtype, head.Bytes));
        Assert.Equal([256L, 32], head.Shape);
        Assert.Equal(1000, model.MaxChunk);
        Assert.Equal(GoldenModels.Llama, model.Manifest.Summary.Id);
    }

    [Fact]
    public async Task ReadWeights_names_filter_the_tensors_and_an_unknown_name_or_chunk_size_is_invalid()
    {
        var model = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama, null, "model.norm.weight");
        Assert.Equal("model.norm.weight", Assert.Single(model.Manifest.Tensors).Name);
        Assert.Equal(32 * 4, Assert.Single(model.Tensors).Value.Data.Length);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.ReadAsync(host.Client, GoldenModels.Llama, null, "model.norm.weight", "ghost"));
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Equal("names[1]", Assert.Single(MocoErrors.FieldViolations(unknown)).Field);
        var large = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.ReadAsync(host.Client, GoldenModels.Llama, 4 * 1024 * 1024 + 1));
        Assert.Equal("chunk_bytes", Assert.Single(MocoErrors.FieldViolations(large)).Field);
        var missing = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.ReadAsync(host.Client, "ghost"));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ReadWeights_then_WriteModel_round_trips_bit_exactly_and_the_copy_generates_as_the_original()
    {
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama, chunkBytes: 700);
        var (response, headers) = await StreamedModel.WriteAsync(host.Client, "llama-copy", original.Chunks(700));
        Assert.Equal("llama-copy", response.ModelId);
        Assert.Equal(21, response.Tensors);
        Assert.Equal((ulong)(original.Files.Values.Sum(f => f.Length) + original.Tensors.Values.Sum(t => t.Data.Length)), response.Bytes);
        Assert.Equal(64, response.Fingerprint.Length);
        Assert.False(string.IsNullOrEmpty(headers.GetValue(RoutingHeaders.Replica)));

        var copy = await StreamedModel.ReadAsync(host.Client, "llama-copy");
        Assert.Equal(original.Tensors.Keys.Order(), copy.Tensors.Keys.Order());
        foreach (var (name, (info, data)) in original.Tensors)
        {
            Assert.Equal(info, copy.Tensors[name].Info);
            Assert.True(data.AsSpan().SequenceEqual(copy.Tensors[name].Data), name);
        }
        Assert.Equal(original.Manifest.ConfigJson, copy.Manifest.ConfigJson);
        Assert.Equal(ModelOrigin.Runtime, copy.Manifest.Summary.Origin);

        await WeightsAssert.GeneratesAs(host.Client, "llama-copy", GoldenModels.Llama, "Hello", 12);
    }

    [Fact]
    public async Task An_adapter_round_trips_and_is_served_on_its_base()
    {
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Lora);
        var (response, _) = await StreamedModel.WriteAsync(host.Client, "lora-copy", original.Chunks(512));
        Assert.Equal(original.Tensors.Count, response.Tensors);
        Assert.Equal(ModelKind.Adapter, (await StreamedModel.ReadAsync(host.Client, "lora-copy")).Manifest.Summary.Kind);
        await WeightsAssert.GeneratesAs(host.Client, "lora-copy", GoldenModels.Lora, "Hi", 8);
    }

    [Theory]
    [InlineData("missing-chunk")]
    [InlineData("overlap")]
    [InlineData("inconsistent-shape")]
    [InlineData("no-config")]
    public async Task An_incomplete_or_inconsistent_WriteModel_is_invalid_and_registers_nothing(string fault)
    {
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var messages = original.Chunks(256);
        var tensorAt = messages.FindIndex(m => m.PayloadCase == WriteModelRequest.PayloadOneofCase.Tensor);
        switch (fault)
        {
            case "missing-chunk":
                messages.RemoveAt(tensorAt);
                break;
            case "overlap":
                messages.Insert(tensorAt, messages[tensorAt]);
                break;
            case "inconsistent-shape":
                messages[tensorAt].Tensor.Shape[0] += 1;
                messages[tensorAt].Tensor.TotalBytes += (ulong)(messages[tensorAt].Tensor.TotalBytes / (ulong)(messages[tensorAt].Tensor.Shape[0] - 1));
                break;
            default:
                messages.RemoveAll(m => m.File?.Name == "config.json");
                break;
        }
        var id = $"broken-{fault}";
        var error = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.WriteAsync(host.Client, id, messages));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        await WeightsAssert.NotRegistered(host.Client, id);
        Assert.DoesNotContain(Directory.EnumerateDirectories(host.Runtime), d => Path.GetFileName(d).StartsWith(".staging", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteModel_needs_the_header_first()
    {
        using var call = host.Client.WriteModel();
        await call.RequestStream.WriteAsync(new WriteModelRequest { File = new FileChunk { Name = "config.json", TotalBytes = 0, Last = true } });
        await call.RequestStream.CompleteAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal("header", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }

    [Fact]
    public async Task Writing_the_same_model_again_is_accepted_and_other_content_needs_overwrite()
    {
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        var first = (await StreamedModel.WriteAsync(host.Client, "twice", original.Chunks(4096))).Response;
        var again = (await StreamedModel.WriteAsync(host.Client, "twice", original.Chunks(1000))).Response;
        Assert.Equal(first.Fingerprint, again.Fingerprint);
        // The catalogue model under its own name, written as one file: the same tensors and files, so the same model.
        Assert.Equal(GoldenModels.Llama, (await StreamedModel.WriteAsync(host.Client, GoldenModels.Llama, original.Chunks(4096))).Response.ModelId);

        var changed = Changed(original);
        var taken = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.WriteAsync(host.Client, "twice", changed.Chunks(4096)));
        Assert.Equal(StatusCode.FailedPrecondition, taken.StatusCode);
        Assert.Equal("header.model_id", Assert.Single(MocoErrors.FieldViolations(taken)).Field);
        Assert.Equal(original.Tensors["model.norm.weight"].Data, (await StreamedModel.ReadAsync(host.Client, "twice")).Tensors["model.norm.weight"].Data);
        var catalogue = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.WriteAsync(host.Client,
            new WriteModelHeader { ModelId = GoldenModels.Llama, Overwrite = true }, changed.Chunks(4096)));
        Assert.Equal(StatusCode.FailedPrecondition, catalogue.StatusCode);
        Assert.Contains("catalogue", catalogue.Status.Detail, StringComparison.Ordinal);

        // The old folder goes once the new model is registered in its place.
        var folders = Directory.EnumerateDirectories(host.Runtime).Count();
        var replaced = (await StreamedModel.WriteAsync(host.Client, new WriteModelHeader { ModelId = "twice", Overwrite = true }, changed.Chunks(4096))).Response;
        Assert.NotEqual(first.Fingerprint, replaced.Fingerprint);
        Assert.Equal(changed.Tensors["model.norm.weight"].Data, (await StreamedModel.ReadAsync(host.Client, "twice")).Tensors["model.norm.weight"].Data);
        await WeightsAssert.Generates(host.Client, "twice", 4);
        Assert.Equal(folders, Directory.EnumerateDirectories(host.Runtime).Count());
    }

    [Fact]
    public async Task Persist_as_writes_the_model_to_its_artifact_folder_and_another_model_there_needs_overwrite()
    {
        var original = await StreamedModel.ReadAsync(host.Client, GoldenModels.Llama);
        await StreamedModel.WriteAsync(host.Client, new WriteModelHeader { ModelId = "kept", PersistAs = "run-1/final" }, original.Chunks(4096));
        var folder = Path.Combine(host.Artifacts, "run-1", "final");
        var persisted = await StreamedModel.ReadAsync(host.Client, folder);
        Assert.All(original.Tensors, t => Assert.Equal(t.Value.Data, persisted.Tensors[t.Key].Data));
        Assert.Equal(original.Manifest.ConfigJson, persisted.Manifest.ConfigJson);

        var changed = Changed(original);
        var taken = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.WriteAsync(host.Client,
            new WriteModelHeader { ModelId = "kept-2", PersistAs = "run-1/final" }, changed.Chunks(4096)));
        Assert.Equal(StatusCode.FailedPrecondition, taken.StatusCode);
        Assert.Equal("header.persist_as", Assert.Single(MocoErrors.FieldViolations(taken)).Field);
        await WeightsAssert.NotRegistered(host.Client, "kept-2");

        await StreamedModel.WriteAsync(host.Client, new WriteModelHeader { ModelId = "kept-2", PersistAs = "run-1/final", Overwrite = true }, changed.Chunks(4096));
        Assert.Equal(changed.Tensors["model.norm.weight"].Data, (await StreamedModel.ReadAsync(host.Client, folder, null, "model.norm.weight")).Tensors["model.norm.weight"].Data);
        Assert.Equal(["final"], Directory.EnumerateFileSystemEntries(Path.Combine(host.Artifacts, "run-1")).Select(Path.GetFileName));

        foreach (var bad in new[] { "../escape", "/abs", "a//b", ".hidden" })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => StreamedModel.WriteAsync(host.Client, new WriteModelHeader { ModelId = "kept-3", PersistAs = bad }, original.Chunks(4096)));
            Assert.Equal("header.persist_as", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        }
    }

    // The model with model.norm.weight's first element changed.
    private static StreamedModel Changed(StreamedModel model)
    {
        var tensors = model.Tensors.ToDictionary(t => t.Key, t => (t.Value.Info, (byte[])t.Value.Data.Clone()), StringComparer.Ordinal);
        tensors["model.norm.weight"].Item2[0] ^= 1;
        return model with { Tensors = tensors };
    }
}
