using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Weights;
using ModelFingerprint = MoCo.Models.Catalog.ModelFingerprint;

namespace MoCo.Inference.Serving;

/// <summary>
/// WriteModel (contracts.md §4): the header, then file and tensor chunks in any order, assembled into a staging folder
/// (<see cref="WriteModelAssembler"/>); when the stream ends complete and consistent the folder becomes a run-time
/// model registered (and loaded) under model_id, and the response carries <c>moco-replica</c>. Any failure removes
/// the staging folder and registers nothing.
/// </summary>
public sealed class WriteModelCall(RuntimeModels runtime)
{
    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT (header, chunks, completeness), FAILED_PRECONDITION (the id exists),
    /// UNIMPLEMENTED (persist_as, overwrite), a load error of the written model.</exception>
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
        if (header.PersistAs is not null || header.Overwrite)
        {
            // Artifacts and replacing a registered model need registry support (unregister, artifact store) not built yet.
            throw MocoErrors.Unimplemented("InferenceService.WriteModel persist_as/overwrite", "an artifact store and model replacement in the registry");
        }
        runtime.RequireFree(header.ModelId, "header.model_id");
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
            var fingerprint = ModelFingerprint.Compute(staging);
            try
            {
                runtime.Publish(staging, header.ModelId, "written");
            }
            catch (Exception e) when (e is Native.MocoException || (e is RpcException rpc && rpc.StatusCode is not (StatusCode.ResourceExhausted or StatusCode.FailedPrecondition)))
            {
                // Complete chunks can still make a model that does not load (a tensor never sent, weights the config
                // contradicts): that is the caller's inconsistency, and Publish has already removed the folder.
                throw MocoErrors.InvalidArgument(new Problem("tensor", "INCONSISTENT_MODEL", $"the written model does not load: {(e is RpcException r ? r.Status.Detail : e.Message)}; nothing was registered"));
            }
            await RuntimeModels.AnnounceAsync(context).ConfigureAwait(false);
            return new WriteModelResponse { ModelId = header.ModelId, Fingerprint = fingerprint, Bytes = (ulong)assembler.Bytes, Tensors = assembler.Tensors };
        }
        finally
        {
            RuntimeModels.Discard(staging);
        }
    }
}
