using System.Diagnostics;
using System.Security.Cryptography;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;

namespace MoCo.Inference.Serving;

/// <summary>Generate (contracts.md §4): the request checked and its defaults decided, queued on the model's loop,
/// then the header and the loop's deltas (merged where several wait, <see cref="DeltaStream"/>) and finals streamed in order.</summary>
public sealed class GenerateCall(ModelRegistry registry, RequestLimits limits)
{
    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION (a classifier), RESOURCE_EXHAUSTED,
    /// CANCELLED or DEADLINE_EXCEEDED.</exception>
    public async Task RunAsync(GenerateRequest request, IServerStreamWriter<GenerateResponse> stream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(context);
        var received = Stopwatch.GetTimestamp();
        var served = registry.Acquire(request.Model);
        if (served.Info.IsClassifier)
        {
            throw ServingErrors.WrongKind(StatusCode.FailedPrecondition, served.Id, served.KindName, "model",
                "it scores conversations (Score with SCORE_MODE_CLASSIFICATION) and cannot generate");
        }
        var effective = GenerateRequests.Prepare(request, served.Text, limits, DrawSeed);
        var job = new GenerateJob(new GenerateSettings(effective, served.Text.Tokenizer, served.Text.ContextLength, received),
            served.Info, served.Adapter, context.CancellationToken);
        served.Base.Scheduler.Enqueue(job);
        try
        {
            await stream.WriteAsync(new GenerateResponse { Header = effective.Header(served.Id) }).ConfigureAwait(false);
            await DeltaStream.CopyAsync(job.Output, stream, m => m.Delta).ConfigureAwait(false);
        }
        // A write after the client went away fails with InvalidOperationException ("the request is complete") rather
        // than a cancellation; both are the caller's cancel, not a server error worth logging as one.
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException && context.CancellationToken.IsCancellationRequested)
        {
            throw ServingErrors.Cancelled(context, "the generation was stopped and its KV blocks freed");
        }
    }

    private static ulong DrawSeed() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
}
