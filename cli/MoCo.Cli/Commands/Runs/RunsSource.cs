using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting.Outbound;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Runs;

namespace MoCo.Cli.Commands.Runs;

/// <summary>Where `moco runs list|show|cancel` read runs: the local run store, or a server's OrchestratorService
/// (`--server`, MOCO_SERVER). Both answer with the contract's messages, so the output is the same.</summary>
internal interface IRunsSource : IAsyncDisposable
{
    /// <summary>Runs, newest first.</summary>
    Task<IReadOnlyList<RunSummary>> ListAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>One run's record.</summary>
    /// <exception cref="RunRejectedException">RUN_NOT_FOUND: no such run, or an ambiguous reference.</exception>
    Task<Contracts.V1.RunRecord> ShowAsync(string reference, bool items, CancellationToken cancellationToken);

    /// <summary>Asks the run to stop; returns its id.</summary>
    /// <exception cref="RunRejectedException">RUN_NOT_FOUND.</exception>
    Task<string> CancelAsync(string reference, CancellationToken cancellationToken);
}

/// <summary>The local run store: cancel sets the store's flag, which the owner reads at its next heartbeat.</summary>
internal sealed class StoreRunsSource(IRunStore store) : IRunsSource
{
    public async Task<IReadOnlyList<RunSummary>> ListAsync(RunQuery query, CancellationToken cancellationToken) =>
        [.. (await store.ListRunsAsync(query, cancellationToken).ConfigureAwait(false)).Select(RunRecords.Summary)];

    public async Task<Contracts.V1.RunRecord> ShowAsync(string reference, bool items, CancellationToken cancellationToken) =>
        await RunRecords.ToProtoAsync(store, await ResolveAsync(reference, cancellationToken).ConfigureAwait(false), items, cancellationToken).ConfigureAwait(false);

    public async Task<string> CancelAsync(string reference, CancellationToken cancellationToken)
    {
        var id = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        await store.RequestCancelAsync(id, cancellationToken).ConfigureAwait(false);
        return id;
    }

    public ValueTask DisposeAsync() => store.DisposeAsync();

    private Task<string> ResolveAsync(string reference, CancellationToken cancellationToken) => RunEngine.ResolveAsync(store, reference, cancellationToken);
}

/// <summary>A server's OrchestratorService: cancel is CancelRun.</summary>
internal sealed class ServerRunsSource(string server, OutboundChannels channels) : IRunsSource
{
    private readonly GrpcChannel _channel = channels.Create(server);

    private OrchestratorService.OrchestratorServiceClient Client => new(_channel);

    public async Task<IReadOnlyList<RunSummary>> ListAsync(RunQuery query, CancellationToken cancellationToken)
    {
        var filter = new RunFilter { Method = query.Method ?? "", Task = query.Task ?? "" };
        var response = await Client.ListRunsAsync(new ListRunsRequest { Filter = filter, Limit = query.Limit }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Runs;
    }

    public Task<Contracts.V1.RunRecord> ShowAsync(string reference, bool items, CancellationToken cancellationToken) =>
        Call(async () => (await Client.GetRunAsync(new GetRunRequest { Run = reference, Items = items }, cancellationToken: cancellationToken).ConfigureAwait(false)).Run);

    public Task<string> CancelAsync(string reference, CancellationToken cancellationToken) =>
        Call(async () => (await Client.CancelRunAsync(new CancelRunRequest { Run = reference }, cancellationToken: cancellationToken).ConfigureAwait(false)).Run.Id);

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw new RunRejectedException("RUN_NOT_FOUND", e.Status.Detail, []);
        }
    }
}
