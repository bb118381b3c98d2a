using System.Net;
using MoCo.Cli.Embedded;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Hosting;
using MoCo.Testing;

namespace MoCo.IntegrationTests;

/// <summary>A gateway serving TLS under a private certificate authority, as a cluster's issuer would sign it: a
/// service configured to trust that authority (Moco:Host:TrustedCaPath) calls through it; one that is not fails
/// the TLS handshake and says so.</summary>
public sealed class TlsGatewayTests : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("moco-tls-gateway-");
    private RunningService _inference = null!;
    private RunningService _gateway = null!;
    private string _caPath = "";

    public async Task InitializeAsync()
    {
        using var ca = TestCertificates.Authority();
        _caPath = Path.Combine(_folder.FullName, "ca.crt");
        await File.WriteAllTextAsync(_caPath, ca.ExportCertificatePem());
        using var certificate = TestCertificates.Issued(ca, "gateway", IPAddress.Loopback);
        var (certificatePath, keyPath) = TestCertificates.WritePem(certificate, _folder.FullName);

        _inference = await LoopbackHost.StartAsync(ServiceCatalog.Create("inference"));
        var options = GatewayOptions.ForServices([_inference]);
        options.Tls = new GatewayTlsOptions { CertificatePath = certificatePath, KeyPath = keyPath };
        _gateway = await LoopbackHost.StartAsync(new GatewayModule(ServiceCatalog.Contracts, options));
        Assert.Equal("https", _gateway.GrpcAddress.Scheme);
        await LoopbackCluster.UntilAsync(_gateway, [_inference], healthy: true);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _inference.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task An_evaluator_that_trusts_the_gateways_authority_reaches_inference_through_it()
    {
        var verifier = await VerifierProbe.ReasonAsync(_gateway.GrpcAddress.ToString(), ("Moco:Host:TrustedCaPath", _caPath));
        // NOT_FOUND from the inference service's catalogue: the call crossed the TLS gateway and came back.
        Assert.Contains("is not in the inference catalogue", verifier);

        var untrusting = await VerifierProbe.ReasonAsync(_gateway.GrpcAddress.ToString());
        Assert.Contains("cannot confirm", untrusting);
        Assert.Contains("SSL", untrusting);
    }
}
