using System.Text;
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

        // A trailers-only response: the status travels in the headers of an empty 200 (gRPC over HTTP/2).
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = Unavailable.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = PercentEncode(message);
    }

    /// <summary>grpc-message encoding: bytes outside printable ASCII, and '%', as %XX of their UTF-8.</summary>
    internal static string PercentEncode(string message)
    {
        var text = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }
}
