using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Sandbox.Service;
using MoCo.Hosting.Outbound;

namespace MoCo.Evaluator.Sandbox;

/// <summary>Programs run by the sandbox service (sandbox.proto) at <paramref name="address"/>: the separate
/// Deployment of clusters whose nodes cannot isolate programs inside the evaluator (evaluation.md §4.2). The
/// interpreter and isolation are the service's; MOCO_SANDBOX_PYTHON is read there, not here. Over https the channel
/// trusts what <paramref name="channels"/> trusts (default: the system's authorities).</summary>
public sealed class RemoteSandbox(string address, OutboundChannels? channels = null) : ICodeSandbox, IDisposable
{
    // Beyond a program's wall limit, what a reply may take: starting the program, removing its folder, the network.
    private static readonly TimeSpan ReplySlack = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PrepareDeadline = TimeSpan.FromSeconds(60);

    private readonly GrpcChannel _channel = (channels ?? OutboundChannels.SystemTrust).Create(address);

    private SandboxService.SandboxServiceClient Client => new(_channel);

    /// <inheritdoc/>
    public async Task<SandboxSession> PrepareAsync(SandboxLimits limits, CancellationToken cancellationToken)
    {
        PrepareSandboxResponse reply;
        try
        {
            reply = await Client.PrepareSandboxAsync(new PrepareSandboxRequest { Limits = limits.ToWire(limits.Python) },
                deadline: DateTime.UtcNow + PrepareDeadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            throw EvaluatorException.FromRemote(e);
        }
        catch (RpcException e)
        {
            throw EvaluatorException.Single(StatusCode.Unavailable, "header.sandbox", Reasons.SandboxUnavailable,
                $"task type 'coding' needs the code sandbox service at {address}, which answered {e.StatusCode}: {e.Status.Detail}",
                "check that the sandbox Deployment is running and that Moco:Evaluator:SandboxAddress names its gRPC port, then run again",
                new Dictionary<string, string> { ["address"] = address });
        }
        if (SandboxWire.FromWire(reply.Isolation) is not { } mode || !Version.TryParse(reply.PythonVersion, out var version))
        {
            throw EvaluatorException.Single(StatusCode.FailedPrecondition, "header.sandbox", Reasons.SandboxUnavailable,
                $"the code sandbox service at {address} answered isolation {reply.Isolation} and Python version \"{reply.PythonVersion}\", which this evaluator cannot use",
                "run the sandbox service and the evaluator from the same MoCo.NET release",
                new Dictionary<string, string> { ["address"] = address });
        }
        return new SandboxSession(reply.Python, version, mode);
    }

    /// <inheritdoc/>
    public async Task<SandboxRun> RunAsync(string program, SandboxSession session, SandboxLimits limits, IReadOnlyList<string> stdoutMarkers,
        CancellationToken cancellationToken)
    {
        var request = new RunProgramRequest { Program = program, Limits = limits.ToWire(limits.Python) };
        request.StdoutMarkers.Add(stdoutMarkers);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(limits.TimeoutSeconds) + ReplySlack;
            var reply = await Client.RunProgramAsync(request, deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            return SandboxWire.FromWire(reply, stdoutMarkers.Count, address);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RpcException e)
        {
            // The program did not run to an end the service could report: an item error, never a score.
            var nothing = new CapturedOutput("", false, new bool[stdoutMarkers.Count]);
            return new SandboxRun(null, false, false, nothing, new CapturedOutput("", false, [false, false]),
                $"the sandbox service at {address} answered {e.StatusCode}: {e.Status.Detail}", session.Mode);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _channel.Dispose();
}
