using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace MoCo.Gateway.Routing;

/// <summary>
/// Turns a call the gateway could not forward into a gRPC status a person can act on. Left alone YARP answers
/// HTTP 502/503 with no gRPC status, which clients report as a bare UNAVAILABLE "Bad gateway". Runs in the proxy
/// pipeline around the forwarder; a failure after the response started (a stream cut mid-way) cannot be
/// rewritten and reaches the client as the reset stream it is.
/// </summary>
internal static class ProxyFailureResponder
{
    private const int Unavailable = 14;

    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        await next().ConfigureAwait(false);
        var failure = context.Features.Get<IForwarderErrorFeature>();
        if (failure is null || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        var proxy = context.GetReverseProxyFeature();
        var service = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "the service";
        var message = failure.Error == ForwarderError.NoAvailableDestinations
            ? $"{service}: no replica in rotation (cluster {proxy.Cluster?.Config.ClusterId}); the gateway's health checks " +
              "find none ready: check the replicas' /readyz, or retry once they are up"
            : $"{service}: replica {proxy.ProxiedDestination?.DestinationId ?? "?"} failed before answering ({failure.Error}); " +
              "retry, the gateway takes replicas that fail out of rotation";

        GrpcTrailersOnly.Write(context, Unavailable, message);
    }
}
