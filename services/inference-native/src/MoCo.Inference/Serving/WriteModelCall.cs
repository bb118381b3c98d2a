using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Weights;
using ModelFingerprint = MoCo.Models.Catalog.ModelFingerprint;

namespace MoCo.Inference.Serving;

/// <summary>
/// WriteModel (contracts.md §4): the header, then file and tensor chunks in any order, assembled into a staging folder
/// (<see cref="WriteModelAssembler"/>); when the stream ends complete and consistent the folder becomes a run-time
/// model registered (and loaded) under model_id, and the response carries <c>moco-replica</c>. An id that already
/// names the same model (files and tensors equal) is accepted as it stands; another model under it needs overwrite
/// (run-time models only). persist_as also writes the model to that artifact folder. Any failure removes the staging
/// folder and registers nothing.
/// </summary>
public sealed class WriteModelCall(ModelRegistry registry, RuntimeModels runtime)
{
    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT (header, chunks, completeness, persist_as), FAILED_PRECONDITION (the id or the artifact
    /// holds another model and overwrite is false; a catalogue id), a load error of the written model.</exception>
    public async Task<WriteModelResponse> RunAsync(IAsyncStreamReader<WriteModelRequest> requests, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(context);
        var cancel = context.CancellationToken;
        if (!await requests.MoveNext(cancel).ConfigureAwait(false) || requests.Current.PayloadCase != WriteModelRequest.PayloadOneofCase.Header)
        {
            throw MocoErrors.InvalidArgument(new Problem("header", "MISSING_FIELD", "the first WriteModel message must be header; nothing was registered"));
        }
        var header = requests.Current.Header;
        if (string.IsNullOrWhiteSpace(header.ModelId))
        {
            throw MocoErrors.InvalidArgument(new Problem("header.model_id", "MISSING_FIELD", "the id of the new model is required"));
        }
        var artifact = header.PersistAs is { } name ? runtime.ArtifactPath(name, "header.persist_as") : null;
        var staging = runtime.Stage();
        try
        {
            var assembler = new WriteModelAssembler(staging);
            while (await requests.MoveNext(cancel).ConfigureAwait(false))
            {
                var message = requests.Current;
                switch (message.PayloadCase)
                {
                    case WriteModelRequest.PayloadOneofCase.File:
                        assembler.Add(message.File);
                        break;
                    case WriteModelRequest.PayloadOneofCase.Tensor:
                        assembler.Add(message.Tensor);
                        break;
                    default:
                        throw MocoErrors.InvalidArgument(new Problem("header", "OUT_OF_ORDER", $"a {message.PayloadCase} message after the header; send header once, first"));
                }
            }
            assembler.Finish(header.Kind, header.BaseModel);
            var existing = Existing(header.ModelId);
            var same = existing is not null && ModelContent.Equal(existing, staging);
            if (existing is not null && !same)
            {
                RequireReplaceable(header);
            }
            if (artifact is not null)
            {
                RuntimeModels.RequireArtifactFree(artifact, staging, header.Overwrite, "header.persist_as");
            }
            var directory = same ? existing! : Register(staging, header.ModelId, existing is not null);
            if (artifact is not null)
            {
                RuntimeModels.Persist(directory, artifact);
            }
            await RuntimeModels.AnnounceAsync(context).ConfigureAwait(false);
            return new WriteModelResponse { ModelId = header.ModelId, Fingerprint = ModelFingerprint.Compute(directory), Bytes = (ulong)assembler.Bytes, Tensors = assembler.Tensors };
        }
        finally
        {
            RuntimeModels.Discard(staging);
        }
    }

    private string? Existing(string id)
    {
        try
        {
            return registry.Resolve(id).Directory;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private void RequireReplaceable(WriteModelHeader header)
    {
        var why = !header.Overwrite ? "set overwrite to replace it, or choose another id"
            : !registry.IsRuntime(header.ModelId) ? "it is a catalogue model, which WriteModel never replaces; choose another id"
            : null;
        if (why is not null)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{header.ModelId}' already exists with other content",
                new Problem("header.model_id", "MODEL_EXISTS", $"'{header.ModelId}' already names another model on this replica; {why}",
                    new Dictionary<string, string> { ["model"] = header.ModelId }));
        }
    }

    private string Register(string staging, string id, bool replace)
    {
        try
        {
            return replace ? runtime.Replace(staging, id, "written") : runtime.Publish(staging, id, "written");
        }
        catch (Exception e) when (e is Native.MocoException || (e is RpcException rpc && rpc.StatusCode is not (StatusCode.ResourceExhausted or StatusCode.FailedPrecondition)))
        {
            // Complete chunks can still make a model that does not load (a tensor never sent, weights the config
            // contradicts): that is the caller's inconsistency, and Publish has already removed the folder.
            throw MocoErrors.InvalidArgument(new Problem("tensor", "INCONSISTENT_MODEL", $"the written model does not load: {(e is RpcException r ? r.Status.Detail : e.Message)}; nothing was registered"));
        }
    }
}
