using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Training;
using MoCo.Inference.Weights;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Serving;

/// <summary>
/// Train (contracts.md §4): the job, then examples until examples_done; then the job runs on its own thread
/// (<see cref="TrainRun"/>) while this call streams started, progress and checkpoint, and finally registers the
/// trained model under the output id (resident, so Generate on it works at once) and answers done. A cancel message or
/// the client going away stops the job, frees the trainer and registers nothing (CANCELLED).
/// </summary>
public sealed class TrainCall(ModelRegistry registry, InferenceOptions options, RuntimeModels runtime, RequestLimits limits)
{
    /// <summary>Where trained models are written: <see cref="InferenceOptions.TrainedModelsDirectory"/>, else the system temp folder.</summary>
    public string OutputRoot { get; } = options.TrainedModelsRoot;

    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT (job fields, examples, protocol order), NOT_FOUND (base model),
    /// CANCELLED, a trainer error by its status.</exception>
    public async Task RunAsync(IAsyncStreamReader<TrainRequest> requests, IServerStreamWriter<TrainResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(context);
        var cancel = context.CancellationToken;
        if (!await requests.MoveNext(cancel).ConfigureAwait(false) || requests.Current.PayloadCase != TrainRequest.PayloadOneofCase.Job)
        {
            throw MocoErrors.InvalidArgument(new Problem("job", "MISSING_FIELD", "the first Train message must be job"));
        }
        var jobId = Guid.NewGuid().ToString("N");
        var settings = TrainJobs.Validate(requests.Current.Job, registry, jobId);
        var adapterBase = new AdapterBase(registry, runtime);
        settings = await adapterBase.ResolveAsync(settings, cancel).ConfigureAwait(false);
        var trained = false;
        try
        {
            await TrainAsync(requests, responses, context, jobId, settings).ConfigureAwait(false);
            trained = true;
        }
        finally
        {
            if (!trained || settings.Lora is null || settings.ServeOn is not null)
            {
                adapterBase.Release(settings);
            }
        }
    }

    private async Task TrainAsync(IAsyncStreamReader<TrainRequest> requests, IServerStreamWriter<TrainResponse> responses, ServerCallContext context, string jobId, TrainSettings settings)
    {
        var cancel = context.CancellationToken;
        var encoder = new TrainEncoder(settings);
        var units = await ReadExamples(requests, encoder, cancel).ConfigureAwait(false);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var events = Channel.CreateUnbounded<TrainResponse>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var rewards = settings.Kind == TrainKind.PolicyGradient ? Channel.CreateUnbounded<TrainRewards>() : null;
        var resumeEvery = TimeSpan.FromSeconds(Math.Max(0, options.TrainResumeSeconds));
        var run = rewards is null
            ? TrainRun.Create(settings, units, OutputRoot, events.Writer, stop.Token, probe: settings.Kind == TrainKind.CollmDeferral ? new DeferralProbe(encoder.DeferralLabels) : null,
                resumeEvery: resumeEvery)
            : TrainRun.Create(settings, units, OutputRoot, events.Writer, stop.Token,
                new PolicyGradientBatches(settings, units, registry, limits, OutputRoot, events.Writer, rewards.Reader, stop.Token),
                PolicyGradientBatches.Temperature(settings, units, limits), resumeEvery: resumeEvery);
        await responses.WriteAsync(new TrainResponse { Started = new TrainStarted { JobId = jobId, TotalSteps = run.TotalSteps } }, cancel).ConfigureAwait(false);
        var result = run.Start(jobId);
        var listener = new TrainListener(requests, stop, rewards?.Writer);
        var listening = listener.ListenAsync();
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await responses.WriteAsync(e, cancel).ConfigureAwait(false);
            }
        }
        catch
        {
            // The client is gone: stop the job and wait for its thread to free the trainer before the call ends.
            await stop.CancelAsync().ConfigureAwait(false);
            await Ignore(result).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Ignore(listening).ConfigureAwait(false);
        }
        await Finish(result, listener, settings, responses, context).ConfigureAwait(false);
    }

    private async Task Finish(Task<TrainResult> result, TrainListener listener, TrainSettings settings, IServerStreamWriter<TrainResponse> responses, ServerCallContext context)
    {
        TrainResult trained;
        try
        {
            trained = await result.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw listener.Error ?? new RpcException(new Status(StatusCode.Cancelled, "the Train job was cancelled; nothing was registered"));
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ServingErrors.From(e);
        }
        registry.Register(settings.OutputId, trained.Directory);
        await responses.WriteAsync(new TrainResponse
        {
            Done = new TrainDone { ModelId = settings.OutputId, FinalLoss = trained.FinalLoss, Fingerprint = MoCo.Models.Catalog.ModelFingerprint.Compute(trained.Directory) },
        }, context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<NativeExample[]>> ReadExamples(IAsyncStreamReader<TrainRequest> requests, TrainEncoder encoder, CancellationToken cancel)
    {
        var units = new List<NativeExample[]>();
        while (true)
        {
            if (!await requests.MoveNext(cancel).ConfigureAwait(false))
            {
                throw MocoErrors.InvalidArgument(new Problem("examples_done", "MISSING_FIELD", "the request stream ended before examples_done; nothing was trained"));
            }
            var message = requests.Current;
            switch (message.PayloadCase)
            {
                case TrainRequest.PayloadOneofCase.Examples:
                    foreach (var example in message.Examples.Examples)
                    {
                        units.Add(encoder.Encode(example, units.Count));
                    }
                    break;
                case TrainRequest.PayloadOneofCase.ExamplesDone when units.Count == 0:
                    throw MocoErrors.InvalidArgument(new Problem("examples", "MISSING_FIELD", "examples_done came before any example; send at least one"));
                case TrainRequest.PayloadOneofCase.ExamplesDone:
                    return units;
                case TrainRequest.PayloadOneofCase.Cancel:
                    throw new RpcException(new Status(StatusCode.Cancelled, "the Train job was cancelled before it started; nothing was registered"));
                default:
                    throw TrainListener.OutOfOrder(message);
            }
        }
    }

    private static async Task Ignore(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException or Native.MocoException)
        {
            // Only waited on so nothing runs past the call; its error is reported elsewhere or moot.
        }
    }
}
