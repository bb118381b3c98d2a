using System.Net.Http.Headers;

namespace MoCo.Hosting.Outbound;

/// <summary>Adds <c>authorization: Bearer &lt;token&gt;</c> to every request of a channel: below gRPC, so unary and
/// streaming calls, h2c and TLS alike carry it (gRPC call credentials refuse plain-text channels).</summary>
internal sealed class BearerTokenHandler(string token) : DelegatingHandler
{
    private readonly AuthenticationHeaderValue _header = new("Bearer", token);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = _header;
        return base.SendAsync(request, cancellationToken);
    }
}
