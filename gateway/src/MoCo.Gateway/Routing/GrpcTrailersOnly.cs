using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MoCo.Gateway.Routing;

/// <summary>A gRPC status answered by the gateway itself: a trailers-only response, whose status travels in the
/// headers of an empty HTTP 200 (gRPC over HTTP/2), so clients read the code and message as any server's.</summary>
internal static class GrpcTrailersOnly
{
    /// <summary>Answers <paramref name="code"/> (a grpc-status number) with <paramref name="message"/>.</summary>
    public static void Write(HttpContext context, int code, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = code.ToString(CultureInfo.InvariantCulture);
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
