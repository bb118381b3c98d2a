using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace MoCo.Hosting.Outbound;

/// <summary>
/// The gRPC channels a service opens to the others (in a cluster: to the gateway). Over https they trust the system's
/// certificate authorities and those of <see cref="MocoHostOptions.TrustedCaPath"/>, so a gateway serving TLS under a
/// private CA (a cluster's issuer, cert-manager's ca.crt) is reached without touching the image's trust store. The
/// certificate must still name the host the address names: only the chain's root may be private. With a bearer token
/// (<see cref="MocoHostOptions.GatewayToken"/>) every call carries <c>authorization: Bearer</c>, for a gateway that
/// checks tokens (Moco:Gateway:Auth). Calls answered UNAVAILABLE before any response are retried with backoff
/// (<see cref="CallRetries"/>).
/// </summary>
public sealed class OutboundChannels
{
    private readonly X509Certificate2Collection _roots;
    private readonly string? _token;

    private OutboundChannels(X509Certificate2Collection roots, string? token)
    {
        _roots = roots;
        _token = token;
    }

    /// <summary>Channels that trust the system's authorities only and send no token (tests, tools).</summary>
    public static OutboundChannels SystemTrust { get; } = new([], null);

    /// <summary>The channels of a host (Moco:Host:TrustedCaPath, Moco:Host:GatewayToken); an authority file that is
    /// missing, unreadable or holds no PEM certificate, or a token with a line break, stops the host at start, naming
    /// the key.</summary>
    public static OutboundChannels From(MocoHostOptions options) => Load(options.TrustedCaPath, options.GatewayToken,
        MocoHostOptions.Section + ":" + nameof(MocoHostOptions.TrustedCaPath), MocoHostOptions.Section + ":" + nameof(MocoHostOptions.GatewayToken));

    /// <summary>Channels trusting the authorities of <paramref name="trustedCaPath"/> and sending
    /// <paramref name="token"/>; a problem names <paramref name="caSetting"/> or <paramref name="tokenSetting"/>, the
    /// settings the caller read them from (the CLI's MOCO_SERVER_CA and MOCO_SERVER_TOKEN).</summary>
    public static OutboundChannels Load(string? trustedCaPath, string? token, string caSetting, string tokenSetting)
    {
        token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        if (token is not null && token.Any(char.IsControl))
        {
            throw new MocoConfigurationException(tokenSetting, "holds a control character (a line break?)", "give the token alone, on one line");
        }
        return new OutboundChannels(string.IsNullOrWhiteSpace(trustedCaPath) ? [] : Roots(trustedCaPath, caSetting), token);
    }

    /// <summary>These channels' trust with <paramref name="token"/> instead of theirs (none when null or blank): for a
    /// service called directly with a credential of its own (the code sandbox), so the gateway token never reaches it.
    /// A problem names <paramref name="tokenSetting"/>.</summary>
    public OutboundChannels WithToken(string? token, string tokenSetting) =>
        new(_roots, Load(null, token, "", tokenSetting)._token);

    private static X509Certificate2Collection Roots(string file, string key)
    {
        var path = Path.GetFullPath(file);
        if (!File.Exists(path))
        {
            throw new MocoConfigurationException(key, $"'{path}' does not exist", "point it at a PEM file of CA certificates (e.g. the TLS secret's ca.crt), or remove it");
        }
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new MocoConfigurationException(key, $"'{path}' is not a PEM certificate bundle: {e.Message}", "give the CA certificates as PEM (-----BEGIN CERTIFICATE-----)");
        }
        return roots.Count > 0
            ? roots
            : throw new MocoConfigurationException(key, $"'{path}' holds no PEM certificate", "give the CA certificates as PEM (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>A channel to <paramref name="address"/> with <paramref name="options"/>; disposing it disposes its
    /// connections.</summary>
    public GrpcChannel Create(string address, GrpcChannelOptions? options = null) => Create(new Uri(address), options);

    /// <inheritdoc cref="Create(string, GrpcChannelOptions?)"/>
    public GrpcChannel Create(Uri address, GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        options.ServiceConfig ??= CallRetries.ServiceConfig;
        var trusts = _roots.Count > 0 && address.Scheme == Uri.UriSchemeHttps;
        if ((trusts || _token is not null) && options.HttpHandler is null && options.HttpClient is null)
        {
            HttpMessageHandler handler = new SocketsHttpHandler
            {
                // What GrpcChannel gives its own handler: several HTTP/2 connections when one's streams run out.
                EnableMultipleHttp2Connections = true,
                SslOptions = trusts ? new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate } : new(),
            };
            options.HttpHandler = _token is null ? handler : new BearerTokenHandler(_token) { InnerHandler = handler };
            options.DisposeHttpClient = true;
        }
        return GrpcChannel.ForAddress(address, options);
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        // A wrong name or no certificate stays fatal: the extra roots only widen whom the chain may end at.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        // Private CAs rarely publish revocation lists a pod could reach.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}
