using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator;

/// <summary>moco.v1.OrchestratorService (contracts.md §7) over the <see cref="RunEngine"/>. A run belongs to the server,
/// not to the call that started it: a dropped stream does not stop it (CancelRun does), and with `detach` the stream
/// ends after run_started; WatchRun re-attaches to it.</summary>
public sealed class OrchestratorGrpcService(RunEngine engine, OrchestratorOptions options) : OrchestratorService.OrchestratorServiceBase
{
    private const int ChunkBytes = 1 << 20;

    private string LogDirectory => options.LogDirectory is { } folder ? Path.GetFullPath(folder) : new MocoEnvironment().LogDirectory;

    /// <inheritdoc/>
    public override Task StartRun(StartRunRequest request, IServerStreamWriter<StartRunResponse> responseStream, ServerCallContext context) =>
        StreamAsync(emit => engine.StartAsync(new RunStart(request.ConfigText, request.ConfigName is { Length: > 0 } n ? n : "config", null,
                request.Overrides ?? new RunOverrides(), LogDirectory, new LogWriteOptions(), request.WantItems), emit, CancellationToken.None),
            request.Detach, request.WantLogs, e => responseStream.WriteAsync(new StartRunResponse { Event = e }), context.CancellationToken);

    /// <inheritdoc/>
    public override Task ResumeRun(ResumeRunRequest request, IServerStreamWriter<ResumeRunResponse> responseStream, ServerCallContext context) =>
        StreamAsync(emit => engine.ResumeAsync(new RunResume(request.Run, request.ConfigText is { Length: > 0 } t ? t : null, request.Force, LogDirectory,
                new LogWriteOptions(), request.WantItems) { NoCache = request.NoCache }, emit, CancellationToken.None),
            request.Detach, request.WantLogs, e => responseStream.WriteAsync(new ResumeRunResponse { Event = e }), context.CancellationToken);

    /// <inheritdoc/>
    public override async Task WatchRun(WatchRunRequest request, IServerStreamWriter<WatchRunResponse> responseStream, ServerCallContext context)
    {
        RunBroadcast.Subscription subscription;
        try
        {
            subscription = await engine.WatchAsync(request.Run, context.CancellationToken).ConfigureAwait(false);
        }
        catch (RunRejectedException e)
        {
            throw ToRpc(e);
        }
        using (subscription)
        {
            try
            {
                await foreach (var e in subscription.Events.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
                {
                    if (request.WantItems || !RunEvents.IsItem(e))
                    {
                        await RelayAsync(e, request.WantLogs, ev => responseStream.WriteAsync(new WatchRunResponse { Event = ev })).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                // The watcher went away; the run goes on.
            }
        }
    }

    /// <inheritdoc/>
    public override async Task<GetRunResponse> GetRun(GetRunRequest request, ServerCallContext context)
    {
        var id = await Resolve(request.Run, context.CancellationToken).ConfigureAwait(false);
        return new GetRunResponse { Run = await RunRecords.ToProtoAsync(engine.Store, id, request.Items, context.CancellationToken).ConfigureAwait(false) };
    }

    /// <inheritdoc/>
    public override async Task<ListRunsResponse> ListRuns(ListRunsRequest request, ServerCallContext context)
    {
        var filter = request.Filter ?? new RunFilter();
        var runs = await engine.Store.ListRunsAsync(new Runs.RunQuery(
            filter.Statuses.Count == 0 ? null : [.. filter.Statuses.Select(RunRecords.State)],
            filter.Method is { Length: > 0 } m ? m : null, filter.Task is { Length: > 0 } t ? t : null, request.Limit), context.CancellationToken).ConfigureAwait(false);
        var response = new ListRunsResponse();
        response.Runs.AddRange(runs.Select(RunRecords.Summary));
        return response;
    }

    /// <inheritdoc/>
    public override async Task<CancelRunResponse> CancelRun(CancelRunRequest request, ServerCallContext context)
    {
        string id;
        try
        {
            id = await engine.CancelAsync(request.Run, context.CancellationToken).ConfigureAwait(false);
        }
        catch (RunRejectedException e)
        {
            throw ToRpc(e);
        }
        var deadline = DateTimeOffset.UtcNow + (request.Wait?.ToTimeSpan() ?? TimeSpan.Zero);
        while (DateTimeOffset.UtcNow < deadline
            && (await engine.Store.GetRunAsync(id, context.CancellationToken).ConfigureAwait(false))?.StoredStatus is Runs.RunState.Running or Runs.RunState.Cancelling)
        {
            await Task.Delay(100, context.CancellationToken).ConfigureAwait(false);
        }
        return new CancelRunResponse { Run = await RunRecords.ToProtoAsync(engine.Store, id, false, context.CancellationToken).ConfigureAwait(false) };
    }

    // Runs the engine in the background and relays its events (with the log files when asked, so a remote CLI can
    // write the logs locally).
    private async Task StreamAsync(Func<Action<RunEvent>, Task<RunResult>> run, bool detach, bool wantLogs, Func<RunEvent, Task> write,
        CancellationToken callCancelled)
    {
        var events = Channel.CreateUnbounded<RunEvent>();
        var running = Task.Run(async () =>
        {
            try
            {
                return await run(e => events.Writer.TryWrite(e)).ConfigureAwait(false);
            }
            finally
            {
                events.Writer.TryComplete();
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(callCancelled).ConfigureAwait(false))
            {
                await RelayAsync(e, wantLogs, write).ConfigureAwait(false);
                if (detach && e.TypeCase == RunEvent.TypeOneofCase.RunStarted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (callCancelled.IsCancellationRequested)
        {
            // The client went away; the run goes on (CancelRun stops it).
            return;
        }
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (RunRejectedException e)
        {
            throw ToRpc(e);
        }
        catch (MethodNotImplementedException e)
        {
            throw e.ToRpcException();
        }
    }

    // With wantLogs every written log file follows its log_written event as log_file chunks.
    private async Task RelayAsync(RunEvent e, bool wantLogs, Func<RunEvent, Task> write)
    {
        await write(e).ConfigureAwait(false);
        if (wantLogs && e.TypeCase == RunEvent.TypeOneofCase.LogWritten)
        {
            await SendFileAsync(e, write).ConfigureAwait(false);
        }
    }

    private async Task SendFileAsync(RunEvent written, Func<RunEvent, Task> write)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(LogDirectory, written.LogWritten.Path)).ConfigureAwait(false);
        var offset = 0;
        do
        {
            var length = Math.Min(ChunkBytes, bytes.Length - offset);
            var chunk = new FileChunk
            {
                Name = written.LogWritten.Path,
                Offset = (ulong)offset,
                Data = ByteString.CopyFrom(bytes, offset, length),
                TotalBytes = (ulong)bytes.Length,
                Last = offset + length == bytes.Length,
            };
            await write(RunEvents.Create(written.RunId, e => e.LogFile = chunk)).ConfigureAwait(false);
            offset += length;
        }
        while (offset < bytes.Length);
    }

    private async Task<string> Resolve(string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RunRejectedException e)
        {
            throw ToRpc(e);
        }
    }

    /// <summary>The gRPC status of a refused run (contracts.md §8).</summary>
    public static RpcException ToRpc(RunRejectedException e) => e.Code switch
    {
        "CONFIG_INVALID" => MocoErrors.InvalidArgument([.. e.Problems.Where(p => p.Severity == Config.ProblemSeverity.Error).Select(p =>
            new Problem(p.Path, p.Code, p.Message, new Dictionary<string, string> { ["fix"] = p.Fix, ["line"] = $"{p.Line}", ["column"] = $"{p.Column}" }))]),
        "RUN_NOT_FOUND" => MocoErrors.Create(StatusCode.NotFound, e.Message, new Problem("run", "RUN_NOT_FOUND", e.Message)),
        "RUN_CHANGED" => MocoErrors.Create(StatusCode.FailedPrecondition, e.Message, new Problem("config_text", "RUN_CHANGED", e.Message,
            new Dictionary<string, string> { ["fix"] = "drop --resume to start a new run, or add --force" })),
        _ => MocoErrors.Create(StatusCode.FailedPrecondition, e.Message, new Problem("run", e.Code, e.Message)),
    };
}
