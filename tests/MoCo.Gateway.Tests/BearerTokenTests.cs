using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Fakes;
using MoCo.Gateway.Tests.Support;
using MoCo.Hosting;
using MoCo.Hosting.Outbound;
using MoCo.Hosting.Security;
using MoCo.Testing;

namespace MoCo.Gateway.Tests;

/// <summary>Moco:Gateway:Auth: only calls bearing a token of the file are forwarded or reflected; health stays open;
/// a rotated file takes effect without a restart; a file that cannot protect anything stops the gateway.</summary>
public sealed class BearerTokenTests : IDisposable
{
    private static readonly string First = new('a', 40);
    private static readonly string Second = new('b', 40);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("moco-gateway-auth-");

    public void Dispose() => _folder.Delete(recursive: true);

    private static async Task<RpcException> Refused(GrpcChannel channel) =>
        await Assert.ThrowsAsync<RpcException>(async () => await new RouterService.RouterServiceClient(channel)
            .EchoAsync(new GatewayTestRequest(), deadline: DateTime.UtcNow.AddSeconds(10)));

    private static async Task<string> Echo(GrpcChannel channel, string text) =>
        (await new RouterService.RouterServiceClient(channel).EchoAsync(new GatewayTestRequest { Text = text }, deadline: DateTime.UtcNow.AddSeconds(10))).Text;

    private static GrpcChannel WithToken(Uri gateway, string token) =>
        OutboundChannels.Load(null, token, "ca", "token").Create(gateway);

    [Fact]
    public async Task Only_calls_with_an_accepted_token_pass_and_health_stays_open()
    {
        var tokens = Path.Combine(_folder.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, $"# rotated monthly\n{First}\n\n{Second}\n");
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);
        var options = new GatewayOptions().Fast().Add(GatewayBackends.Router, router);
        options.Auth = new GatewayAuthOptions { TokensFile = tokens };
        await using var gateway = await TestHosts.StartGatewayAsync(options);
        var address = gateway.Service.GrpcAddress;

        using (var bare = GrpcChannel.ForAddress(address))
        {
            var missing = await Refused(bare);
            Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
            Assert.Contains("MOCO_SERVER_TOKEN", missing.Status.Detail);

            // Answered without a token (a refusal would throw UNAUTHENTICATED); SERVING once the first probes found the replica.
            var health = new Grpc.Health.V1.Health.HealthClient(bare);
            await Eventually.TrueAsync(async () => (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Status ==
                HealthCheckResponse.Types.ServingStatus.Serving, "the gateway's health to be SERVING without a token");

            using var reflection = new ServerReflection.ServerReflectionClient(bare).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
            var listing = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
                await reflection.ResponseStream.MoveNext();
            });
            Assert.Equal(StatusCode.Unauthenticated, listing.StatusCode);
        }
        using (var wrong = WithToken(address, new string('c', 40)))
        {
            var refused = await Refused(wrong);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Contains("not one this gateway accepts", refused.Status.Detail);
        }
        foreach (var token in new[] { First, Second })
        {
            using var channel = WithToken(address, token);
            Assert.Equal("let me in", await Echo(channel, "let me in"));
        }

        // A rotated Secret: the file is rewritten in place, and the next call reads it.
        await File.WriteAllTextAsync(tokens, Second + "\n");
        File.SetLastWriteTimeUtc(tokens, DateTime.UtcNow.AddMinutes(1));
        using (var retired = WithToken(address, First))
        {
            Assert.Equal(StatusCode.Unauthenticated, (await Refused(retired)).StatusCode);
        }
        using (var kept = WithToken(address, Second))
        {
            Assert.Equal("still in", await Echo(kept, "still in"));
        }
        // A rewrite that leaves no token keeps the last good ones rather than locking everyone out.
        await File.WriteAllTextAsync(tokens, "");
        File.SetLastWriteTimeUtc(tokens, DateTime.UtcNow.AddMinutes(2));
        using (var kept = WithToken(address, Second))
        {
            Assert.Equal("after an empty rewrite", await Echo(kept, "after an empty rewrite"));
        }
    }

    [Theory]
    [InlineData(null, "does not exist")]
    [InlineData("", "holds no token")]
    [InlineData("# only a comment\n", "holds no token")]
    [InlineData("short-token\n", "fewer than 32")]
    public void A_tokens_file_that_protects_nothing_stops_the_gateway_naming_the_key(string? content, string problem)
    {
        var tokens = Path.Combine(_folder.FullName, Guid.NewGuid().ToString("N"));
        if (content is not null)
        {
            File.WriteAllText(tokens, content);
        }
        var error = Assert.Throws<MocoConfigurationException>(() => BearerTokens.Load(tokens, GatewayAuthOptions.TokensFileKey));
        Assert.Equal("Moco:Gateway:Auth:TokensFile", error.Key);
        Assert.Contains(problem, error.Message);
        Assert.False(BearerTokens.Load(null, GatewayAuthOptions.TokensFileKey).Required);
    }

    [Fact]
    public void A_token_with_a_line_break_is_refused_naming_where_it_came_from()
    {
        var error = Assert.Throws<MocoConfigurationException>(() => OutboundChannels.Load(null, First + "\r\nX-Injected: 1", "MOCO_SERVER_CA", "MOCO_SERVER_TOKEN"));
        Assert.Equal("MOCO_SERVER_TOKEN", error.Key);
    }
}
