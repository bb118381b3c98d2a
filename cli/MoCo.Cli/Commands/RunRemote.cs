using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting.Outbound;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Cli.Commands;

/// <summary>`moco run --server URL` (config-and-cli.md §4.1; `--gateway` is the same flag): the CLI is a client of
/// StartRun/ResumeRun — or of WatchRun for `moco runs watch` — streams the events, writes the log files the server sends
/// (want_logs) under the local log folder, and on Ctrl-C calls CancelRun and waits for the run to stop. With `--detach`
/// it returns once the run has started: the run belongs to the server.</summary>
internal static class RunRemote
{
    public static async Task<int> RunAsync(string server, OutboundChannels channels, string? file, string? text, RunSettings settings, string logDirectory,
        RunConsole console, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        using var channel = channels.Create(server, new GrpcChannelOptions { MaxReceiveMessageSize = 8 << 20 });
        var client = new OrchestratorService.OrchestratorServiceClient(channel);
        var files = new Dictionary<string, MemoryStream>(StringComparer.Ordinal);
        string? runId = null;
        RunFinished? finished = null;
        long generated = 0;
        var started = DateTimeOffset.UtcNow;
        try
        {
            using var call = (settings.Watch, settings.Resume) switch
            {
                ({ } watched, _) => Relay(client.WatchRun(new WatchRunRequest { Run = watched, WantLogs = true, WantItems = settings.JsonItems }), r => r.Event),
                (_, { } reference) => Relay(client.ResumeRun(new ResumeRunRequest
                {
                    Run = reference, ConfigText = text ?? "", Force = settings.Force, WantLogs = true, Detach = settings.Detach, WantItems = settings.JsonItems,
                    NoCache = settings.NoCache,
                }), r => r.Event),
                _ => Relay(client.StartRun(new StartRunRequest
                {
                    ConfigText = text!, ConfigName = file!, Overrides = settings.Overrides(), WantLogs = true, Detach = settings.Detach,
                    WantItems = settings.JsonItems,
                }), r => r.Event),
            };
            using var cancelOnce = cancel.Register(() =>
            {
                if (runId is not null)
                {
                    // Stop the server's run; the stream then ends with run_finished (cancelled).
                    _ = client.CancelRunAsync(new CancelRunRequest { Run = runId }, cancellationToken: CancellationToken.None);
                }
            });
            await foreach (var e in call.Events.ConfigureAwait(false))
            {
                runId = e.RunId;
                if (e.TypeCase == RunEvent.TypeOneofCase.LogFile)
                {
                    Collect(files, e.LogFile, logDirectory);
                    continue;
                }
                console.Show(e);
                if (e.TypeCase == RunEvent.TypeOneofCase.PhaseFinished)
                {
                    // The server's tokens/s counts only what it generated now: tokens read back are not the table's.
                    generated += (long)Math.Round(e.PhaseFinished.TokensPerS * e.PhaseFinished.WallS);
                }
                if (e.TypeCase == RunEvent.TypeOneofCase.RunFinished)
                {
                    finished = e.RunFinished;
                }
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.Unimplemented
            or StatusCode.Unavailable)
        {
            error.WriteLine($"error: {e.Status.Detail} [{e.StatusCode}]");
            return e.StatusCode switch
            {
                StatusCode.FailedPrecondition when e.Status.Detail.Contains("RUN_CHANGED", StringComparison.Ordinal) || e.Status.Detail.Contains("different config", StringComparison.Ordinal) => 3,
                StatusCode.InvalidArgument or StatusCode.NotFound => ExitCodes.Usage,
                _ => ExitCodes.Environment,
            };
        }
        if (settings.Detach && runId is not null)
        {
            output.WriteLine($"run {runId} started on {server}");
            output.WriteLine($"  watch:  moco runs watch {runId} --server {server}");
            output.WriteLine($"  cancel: moco runs cancel {runId} --server {server}");
            return ExitCodes.Success;
        }
        if (runId is null || finished is null)
        {
            error.WriteLine("error: the server ended the run's stream without run_finished");
            return ExitCodes.Failed;
        }
        var record = (await client.GetRunAsync(new GetRunRequest { Run = runId, Items = settings.Report }).ConfigureAwait(false)).Run;
        if (settings.Report)
        {
            RunCommand.Reported(record, logDirectory, error);
        }
        var config = new ConfigValidator(MethodRegistry.Default).Validate(record.ConfigText, file ?? "config", new ValidationOptions()).Config!;
        var state = finished.Status switch { RunStatus.Succeeded => RunState.Succeeded, RunStatus.Cancelled => RunState.Cancelled, _ => RunState.Failed };
        var result = new RunResult(runId, state, config, finished.Score, record.Scores.NTest,
            [.. record.Scores.Baselines.Where(b => b.Test is not null).Select(b => new ModelBaseline(b.Model, b.Test!.Value))],
            finished.ReferenceLog is { Length: > 0 } log ? log : null, [.. files.Keys], DateTimeOffset.UtcNow - started,
            generated, record.Error);
        return RunCommand.Finish(result, settings, logDirectory, output, error);
    }

    // A log file arrives in chunks; it is written (temp + rename) when its last chunk is in.
    private static void Collect(Dictionary<string, MemoryStream> files, FileChunk chunk, string logDirectory)
    {
        var relative = chunk.Name.Replace('\\', '/');
        if (Path.IsPathRooted(relative) || relative.Split('/').Contains(".."))
        {
            throw new InvalidOperationException($"the server sent a log path outside the log folder: {chunk.Name}");
        }
        if (!files.TryGetValue(relative, out var buffer))
        {
            files[relative] = buffer = new MemoryStream();
        }
        buffer.Position = (long)chunk.Offset;
        chunk.Data.WriteTo(buffer);
        if (chunk.Last)
        {
            var path = Path.Combine(logDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path + ".tmp", buffer.ToArray());
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }

    private static EventStream Relay<T>(AsyncServerStreamingCall<T> call, Func<T, RunEvent> pick) => new(call, Read(call, pick));

    private static async IAsyncEnumerable<RunEvent> Read<T>(AsyncServerStreamingCall<T> call, Func<T, RunEvent> pick)
    {
        await foreach (var message in call.ResponseStream.ReadAllAsync().ConfigureAwait(false))
        {
            yield return pick(message);
        }
    }

    private sealed record EventStream(IDisposable Call, IAsyncEnumerable<RunEvent> Events) : IDisposable
    {
        public void Dispose() => Call.Dispose();
    }
}
