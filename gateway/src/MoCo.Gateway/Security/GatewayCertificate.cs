using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MoCo.Gateway.Configuration;
using MoCo.Hosting;

namespace MoCo.Gateway.Security;

/// <summary>The gRPC listener's server certificate, loaded while services are registered so that a missing file,
/// a wrong password or a certificate without its key stops the gateway before it binds (exit code 2).</summary>
internal sealed class GatewayCertificate(X509Certificate2? certificate)
{
    private const string Key = GatewayOptions.Section + ":" + nameof(GatewayOptions.Tls) + ":";

    /// <summary>The certificate, or null for h2c.</summary>
    public X509Certificate2? Certificate => certificate;

    public static GatewayCertificate Load(GatewayTlsOptions tls)
    {
        if (!tls.Enabled)
        {
            return new GatewayCertificate(null);
        }
        var certificatePath = Existing(nameof(tls.CertificatePath), tls.CertificatePath!);
        var keyPath = string.IsNullOrWhiteSpace(tls.KeyPath) ? null : Existing(nameof(tls.KeyPath), tls.KeyPath);
        var pkcs12 = Path.GetExtension(certificatePath).ToLowerInvariant() is ".pfx" or ".p12";
        X509Certificate2 loaded;
        try
        {
            loaded = pkcs12 ? X509CertificateLoader.LoadPkcs12FromFile(certificatePath, tls.Password)
                : string.IsNullOrEmpty(tls.Password) ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, tls.Password, keyPath);
        }
        catch (CryptographicException e)
        {
            throw new MocoConfigurationException(Key + nameof(tls.CertificatePath), $"'{certificatePath}' could not be loaded: {e.Message}",
                pkcs12 ? "check the file and Moco:Gateway:Tls:Password" : "give a PEM certificate and its PEM key (KeyPath), and Password for an encrypted key");
        }
        using (loaded)
        {
            if (!loaded.HasPrivateKey)
            {
                throw new MocoConfigurationException(Key + nameof(tls.KeyPath), $"no private key for '{certificatePath}'",
                    "set KeyPath to the certificate's PEM key, or use a .pfx that contains it");
            }
            // A PEM key is ephemeral; SslStream on Windows cannot use one, so the pair goes through PKCS#12 as Kestrel does.
            return new GatewayCertificate(X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null));
        }
    }

    private static string Existing(string name, string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new MocoConfigurationException(Key + name, $"'{full}' does not exist", "point it at the file, or remove Moco:Gateway:Tls to serve h2c");
        }
        return full;
    }
}
