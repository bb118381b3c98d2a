using Microsoft.AspNetCore.Http;

namespace MoCo.Hosting;

/// <summary>
/// Every response names the instance that produced it in the <c>moco-served-by</c> header
/// ("inference@host:port"), so an operator or a test behind the gateway can see which replica answered.
/// It is informational; routing affinity uses the gateway's <c>moco-replica</c> header instead.
/// </summary>
public static class ServedBy
{
    /// <summary>Response header name.</summary>
    public const string Header = "moco-served-by";

    internal static Func<HttpContext, RequestDelegate, Task> Stamp(IMocoServiceModule module, BoundListeners listeners)
    {
        string? value = null;
        return (context, next) =>
        {
            value ??= $"{module.Name}@{Environment.MachineName}:{listeners.GrpcAddress.Port}";
            context.Response.Headers[Header] = value;
            return next(context);
        };
    }
}
