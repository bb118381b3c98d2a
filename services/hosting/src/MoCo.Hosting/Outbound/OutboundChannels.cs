using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace MoCo.Hosting.Outbound;

/// <summary>
/// The gRPC channels a service opens to the others (in a cluster: to the gateway). Over https they trust the system's
/// certificate authorities and those of <see cref="MocoHostOptions.TrustedCaPath"/>, so a gateway serving TLS under a
/// private CA (a cluster's issuer, cert-manager's ca.crt) is reached without touching the image's trust store. The
/// certificate must still name the host the address names: only the chain's root may be private.
/// </summary>
public sealed class OutboundChannels
{
    private readonly X509Certificate2Collection _roots;

    private OutboundChannels(X509Certificate2Collection roots) => _roots = roots;

    /// <summary>Channels that trust the system's authorities only (tests, tools, the CLI).</summary>
    public static OutboundChannels SystemTrust { get; } = new([]);

    /// <summary>The channels of a host; a configured authority file that is missing, unreadable or holds no PEM
    /// certificate stops the host at start, naming the key.</summary>
    public static OutboundChannels From(MocoHostOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.TrustedCaPath))
        {
            return SystemTrust;
        }
        const string key = MocoHostOptions.Section + ":" + nameof(MocoHostOptions.TrustedCaPath);
        var path = Path.GetFullPath(options.TrustedCaPath);
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
            ? new OutboundChannels(roots)
            : throw new MocoConfigurationException(key, $"'{path}' holds no PEM certificate", "give the CA certificates as PEM (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>A channel to <paramref name="address"/> with <paramref name="options"/>; disposing it disposes its
    /// connections.</summary>
    public GrpcChannel Create(string address, GrpcChannelOptions? options = null) => Create(new Uri(address), options);

    /// <inheritdoc cref="Create(string, GrpcChannelOptions?)"/>
    public GrpcChannel Create(Uri address, GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        if (_roots.Count > 0 && address.Scheme == Uri.UriSchemeHttps && options.HttpHandler is null && options.HttpClient is null)
        {
            options.HttpHandler = new SocketsHttpHandler
            {
                // What GrpcChannel gives its own handler: several HTTP/2 connections when one's streams run out.
                EnableMultipleHttp2Connections = true,
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
            };
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
