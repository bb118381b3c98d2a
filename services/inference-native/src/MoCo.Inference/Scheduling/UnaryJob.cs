namespace MoCo.Inference.Scheduling;

/// <summary>A job with one result (Score, Embed): the RPC awaits <see cref="Result"/>.</summary>
internal abstract class UnaryJob<T>(CancellationToken cancellation) : SchedulerJob(cancellation)
{
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The result, the failure, or cancellation.</summary>
    public Task<T> Result => _result.Task;

    protected void Complete(T value)
    {
        Done = true;
        _result.TrySetResult(value);
    }

    protected override void OnFail(Exception error) => _result.TrySetException(error);

    protected override void OnCancel() => _result.TrySetCanceled(Cancellation);

    protected static int Ceil(int tokens, int blockTokens) => (tokens + blockTokens - 1) / blockTokens;
}
