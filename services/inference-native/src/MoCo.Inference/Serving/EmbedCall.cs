using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;

namespace MoCo.Inference.Serving;

/// <summary>Embed (contracts.md §4, evaluation.md §2.9): pooled final-norm hidden states, run on the model's loop.
/// libmoco has decoders only, so every vector comes from a decoder standing in for an encoder (substituted).</summary>
public sealed class EmbedCall(ModelRegistry registry)
{
    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, CANCELLED.</exception>
    public async Task<EmbedResponse> RunAsync(EmbedRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var served = registry.Acquire(request.Model);
        var effective = EmbedRequests.Prepare(request, served.Text);
        var problems = new FieldProblems();
        for (var i = 0; i < effective.Inputs.Count; i++)
        {
            if (effective.Inputs[i].Count == 0)
            {
                problems.Invalid($"texts[{i}]", $"texts[{i}] encodes to no tokens; there is nothing to pool");
            }
        }
        if (effective.Pooling == Pooling.MeanPadded && served.Text.ContextLength > 0 && effective.PadTo > served.Text.ContextLength)
        {
            problems.Invalid("pad_to", $"pad_to {effective.PadTo} exceeds the context of model '{served.Id}' ({served.Text.ContextLength} tokens)");
        }
        problems.ThrowIfAny();

        var pad = served.Text.Files.PadId ?? served.Text.Files.TokenizerEosId ?? 0;
        var inputs = effective.Inputs.Select(ids => ids.ToArray()).ToList();
        var job = new EmbedJob(inputs, effective.Pooling, effective.PadTo, pad, effective.Normalize, served.Info, served.Adapter, context.CancellationToken);
        served.Base.Scheduler.Enqueue(job);
        var vectors = await ScoreCall.Await(job.Result, context).ConfigureAwait(false);
        var response = new EmbedResponse { Dim = served.Info.HiddenSize, Substituted = true };
        response.Vectors.Add(vectors.Select(v => new EmbeddingVector { Values = { v } }));
        return response;
    }
}
