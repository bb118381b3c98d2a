namespace MoCo.Gateway.Configuration;

/// <summary>
/// TLS for the gateway's gRPC listener (HTTP/2 over TLS, negotiated by ALPN). Unset <see cref="CertificatePath"/>
/// keeps the listener h2c. Either a PKCS#12 file (.pfx or .p12, with <see cref="Password"/> when it has one) or a
/// PEM certificate with its PEM private key in <see cref="KeyPath"/> (<see cref="Password"/> for an encrypted key).
/// </summary>
public sealed class GatewayTlsOptions
{
    /// <summary>PKCS#12 file or PEM certificate (chain); relative paths resolve against the working directory.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of a PEM certificate; unset for PKCS#12.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary>Whether TLS is asked for.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}
