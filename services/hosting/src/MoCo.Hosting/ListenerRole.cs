using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Connections.Features;

namespace MoCo.Hosting;

/// <summary>Which of a host's two listeners a connection arrived on.</summary>
public enum ListenerRole
{
    /// <summary>The h2c gRPC listener.</summary>
    Grpc,
    /// <summary>The HTTP/1.1 admin listener: /healthz, /readyz, /metrics.</summary>
    Admin,
}

/// <summary>Endpoint metadata: the endpoint answers only on this listener (404 elsewhere). Ports are known only
/// after binding when they are ephemeral, so the listener is recorded on the connection instead of matched by port.</summary>
public sealed record ListenerMetadata(ListenerRole Role);

internal static class ListenerRoles
{
    private const string ItemKey = "moco.listener";

    /// <summary>Connection middleware that stamps every connection with the listener it came in on.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Stamp(ListenerRole role) =>
        next => connection =>
        {
            connection.Items[ItemKey] = role;
            return next(connection);
        };

    public static ListenerRole? Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var role) == true
            ? (ListenerRole?)role
            : null;

    /// <summary>404s an endpoint reached on the other listener, as if it were not mapped there.</summary>
    public static Task Enforce(HttpContext context, RequestDelegate next)
    {
        var wanted = context.GetEndpoint()?.Metadata.GetMetadata<ListenerMetadata>();
        var actual = Of(context);
        if (wanted is not null && actual is not null && wanted.Role != actual)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return next(context);
    }
}
