using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;

namespace MoCo.Inference.Serving;

/// <summary>Decode (contracts.md §4): one <see cref="DecodeStream"/> per call. It also counts the open streams, so
/// tests can wait for abandoned streams to have freed their KV without timing anything.</summary>
public sealed class DecodeCall(ModelRegistry registry, RequestLimits limits)
{
    private readonly object _gate = new();
    private int _open;
    private TaskCompletionSource _idle = Completed();

    /// <summary>Runs one stream to its end.</summary>
    /// <exception cref="RpcException">CANCELLED or DEADLINE_EXCEEDED when the caller went away (every sequence is freed first).</exception>
    public async Task RunAsync(IAsyncStreamReader<DecodeRequest> requests, IServerStreamWriter<DecodeResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(context);
        Enter();
        try
        {
            using var stream = new DecodeStream(registry, limits, context.CancellationToken);
            await stream.RunAsync(requests, responses).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw ServingErrors.Cancelled(context, "every sequence of the stream was freed");
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Completes once no Decode stream is running, every ended stream's sequences freed.</summary>
    public Task WhenIdle()
    {
        lock (_gate)
        {
            return _idle.Task;
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            if (_open++ == 0)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private void Leave()
    {
        lock (_gate)
        {
            if (--_open == 0)
            {
                _idle.SetResult();
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}
