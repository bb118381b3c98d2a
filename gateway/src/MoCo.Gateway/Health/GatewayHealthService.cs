using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace MoCo.Gateway.Health;

/// <summary>
/// grpc.health.v1 for the services behind the gateway (contracts.md §9). Forwarding the call would ask one
/// arbitrary replica about itself, so the gateway answers: "moco.v1.X" is SERVING iff a replica of X is healthy,
/// "" iff every routed service is, and a service it does not route is NOT_FOUND (Check) or SERVICE_UNKNOWN
/// (Watch, which keeps watching, as the protocol asks). From shutdown on everything is NOT_SERVING and Watch
/// calls end, so clients move to another gateway while this one drains.
/// </summary>
internal sealed class GatewayHealthService(BackendHealth health, BackendHealthMonitor monitor, IHostApplicationLifetime lifetime)
    : Grpc.Health.V1.Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        var status = StatusOf(request.Service, health.Current()) ?? throw new RpcException(new Status(StatusCode.NotFound,
            $"the gateway routes no service '{request.Service}'; ask for \"\" or one of: {string.Join(", ", health.Current().Services.Select(s => s.Service))}"));
        return Task.FromResult(new HealthCheckResponse { Status = status });
    }

    public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        ServingStatus? sent = null;
        try
        {
            while (true)
            {
                var change = monitor.NextChange;
                var status = StatusOf(request.Service, health.Current()) ?? ServingStatus.ServiceUnknown;
                if (status != sent)
                {
                    await responseStream.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken).ConfigureAwait(false);
                    sent = status;
                }
                await change.WaitAsync(ended.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            if (sent != ServingStatus.NotServing)
            {
                await responseStream.WriteAsync(new HealthCheckResponse { Status = ServingStatus.NotServing }, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The caller hung up: nothing left to tell it.
        }
    }

    private ServingStatus? StatusOf(string service, GatewayHealthSnapshot snapshot)
    {
        bool serving;
        if (service.Length == 0)
        {
            serving = snapshot.AllServing;
        }
        else if (snapshot.Find(service) is { } known)
        {
            serving = known.Serving;
        }
        else
        {
            return null;
        }
        return serving && !lifetime.ApplicationStopping.IsCancellationRequested ? ServingStatus.Serving : ServingStatus.NotServing;
    }
}
