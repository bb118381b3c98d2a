using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Fakes;
using MoCo.Gateway.Tests.Support;
using MoCo.Hosting;
using MoCo.Hosting.Outbound;
using MoCo.Testing;

namespace MoCo.Gateway.Tests;

public sealed class TlsTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("moco-gateway-tls-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task A_configured_certificate_serves_http2_over_tls()
    {
        using var certificate = SelfSigned();
        var (certificatePath, keyPath) = TestCertificates.WritePem(certificate, _folder.FullName);
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

    [Fact]
    public async Task Services_reach_a_gateway_under_a_private_ca_only_when_they_trust_it_and_it_names_the_host()
    {
        using var ca = TestCertificates.Authority();
        var caPath = Path.Combine(_folder.FullName, "ca.crt");
        await File.WriteAllTextAsync(caPath, ca.ExportCertificatePem());
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        await using var gateway = await StartGatewayAsync(router, TestCertificates.Issued(ca, "gateway", IPAddress.Loopback));
        var trusting = OutboundChannels.From(new MocoHostOptions { TrustedCaPath = caPath });

        using (var channel = trusting.Create(gateway.Service.GrpcAddress))
        {
            var reply = await new RouterService.RouterServiceClient(channel).EchoAsync(new GatewayTestRequest { Text = "through tls" },
                deadline: DateTime.UtcNow.AddSeconds(10));
            Assert.Equal("through tls", reply.Text);
        }
        using (var channel = OutboundChannels.SystemTrust.Create(gateway.Service.GrpcAddress))
        {
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await new RouterService.RouterServiceClient(channel)
                .EchoAsync(new GatewayTestRequest(), deadline: DateTime.UtcNow.AddSeconds(10)));
            Assert.True(refused.StatusCode == Grpc.Core.StatusCode.Internal && refused.Status.Detail.Contains("SSL", StringComparison.Ordinal), refused.ToString());
        }

        // The private root widens whom a chain may end at, not which names a certificate may claim, nor which other
        // roots it may end at.
        using var rogue = TestCertificates.Authority("rogue-ca");
        await using var misnamed = await StartGatewayAsync(router, TestCertificates.Issued(ca, "elsewhere", IPAddress.Parse("10.9.8.7")));
        await using var impostor = await StartGatewayAsync(router, TestCertificates.Issued(rogue, "gateway", IPAddress.Loopback));
        foreach (var refusing in new[] { misnamed, impostor })
        {
            using var channel = trusting.Create(refusing.Service.GrpcAddress);
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await new RouterService.RouterServiceClient(channel)
                .EchoAsync(new GatewayTestRequest(), deadline: DateTime.UtcNow.AddSeconds(10)));
            Assert.True(refused.StatusCode == Grpc.Core.StatusCode.Internal && refused.Status.Detail.Contains("SSL", StringComparison.Ordinal), refused.ToString());
        }
    }

    [Fact]
    public void A_trusted_ca_file_that_is_missing_or_not_pem_stops_the_host_naming_the_key()
    {
        var missing = Assert.Throws<MocoConfigurationException>(() =>
            OutboundChannels.From(new MocoHostOptions { TrustedCaPath = Path.Combine(_folder.FullName, "absent.crt") }));
        Assert.Equal("Moco:Host:TrustedCaPath", missing.Key);

        var garbage = Path.Combine(_folder.FullName, "garbage.crt");
        File.WriteAllText(garbage, "not a certificate\n");
        var notPem = Assert.Throws<MocoConfigurationException>(() => OutboundChannels.From(new MocoHostOptions { TrustedCaPath = garbage }));
        Assert.Equal("Moco:Host:TrustedCaPath", notPem.Key);
        Assert.Contains("PEM", notPem.Message);

        var host = Assert.Throws<MocoConfigurationException>(() => MocoHost.Build(new GatewayModule(TestHosts.Contracts), configure: TestHosts.Loopback(
            new Dictionary<string, string?>
            {
                ["Moco:Gateway:Router:Replicas:0:Address"] = "http://127.0.0.1:50052",
                ["Moco:Gateway:Router:Replicas:0:Health"] = "http://127.0.0.1:9052",
                ["Moco:Host:TrustedCaPath"] = garbage,
            })));
        Assert.Equal("Moco:Host:TrustedCaPath", host.Key);
    }

    private async Task<TestGateway> StartGatewayAsync(Replica router, X509Certificate2 certificate)
    {
        var (certificatePath, keyPath) = TestCertificates.WritePem(certificate, _folder.FullName);
        var options = new GatewayOptions().Fast().Add(GatewayBackends.Router, router);
        options.Tls = new GatewayTlsOptions { CertificatePath = certificatePath, KeyPath = keyPath };
        return await TestHosts.StartGatewayAsync(options);
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
