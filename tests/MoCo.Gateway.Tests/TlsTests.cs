using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Fakes;
using MoCo.Gateway.Tests.Support;
using MoCo.Hosting;

namespace MoCo.Gateway.Tests;

public sealed class TlsTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("moco-gateway-tls-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task A_configured_certificate_serves_http2_over_tls()
    {
        using var certificate = SelfSigned();
        var certificatePath = Path.Combine(_folder.FullName, "gateway.pem");
        var keyPath = Path.Combine(_folder.FullName, "gateway.key");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        var options = new GatewayOptions().Fast().Add(GatewayBackends.Router, router);
        options.Tls = new GatewayTlsOptions { CertificatePath = certificatePath, KeyPath = keyPath };

        await using var gateway = await TestHosts.StartGatewayAsync(options);
        Assert.Equal("https", gateway.Service.GrpcAddress.Scheme);

        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trust exactly the test's certificate.
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString(),
            },
        };
        using var channel = GrpcChannel.ForAddress(gateway.Service.GrpcAddress, new GrpcChannelOptions { HttpHandler = handler });
        var reply = await new RouterService.RouterServiceClient(channel).EchoAsync(new GatewayTestRequest { Text = "secret" },
            deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal("secret", reply.Text);

        // Plain-text h2c to the TLS port is refused.
        using var plain = GrpcChannel.ForAddress(new UriBuilder(gateway.Service.GrpcAddress) { Scheme = "http" }.Uri);
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await new RouterService.RouterServiceClient(plain)
            .EchoAsync(new GatewayTestRequest(), deadline: DateTime.UtcNow.AddSeconds(10)));
    }

    [Fact]
    public void A_certificate_without_its_key_is_refused_at_start()
    {
        using var certificate = SelfSigned();
        var certificatePath = Path.Combine(_folder.FullName, "alone.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());

        var error = Assert.Throws<MocoConfigurationException>(() => MocoHost.Build(new GatewayModule(TestHosts.Contracts), configure: TestHosts.Loopback(
            new Dictionary<string, string?>
            {
                ["Moco:Gateway:Router:Replicas:0:Address"] = "http://127.0.0.1:50052",
                ["Moco:Gateway:Router:Replicas:0:Health"] = "http://127.0.0.1:9052",
                ["Moco:Gateway:Tls:CertificatePath"] = certificatePath,
            })));
        Assert.StartsWith("Moco:Gateway:Tls:", error.Key);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=moco-gateway-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
