using MoCo.Cli;
using MoCo.Cli.Embedded;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Hosting;
using MoCo.Testing;

namespace MoCo.IntegrationTests;

/// <summary>A gateway that checks bearer tokens (Moco:Gateway:Auth): the CLI gets in with MOCO_SERVER_TOKEN and says
/// why not without it; a service gets in with Moco:Host:GatewayToken. Serialised with the other tests that set the
/// process's MOCO_* variables.</summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class GatewayAuthTests : IAsyncLifetime
{
    private static readonly string Token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("moco-gateway-auth-");
    private readonly List<RunningService> _hosts = [];
    private string _gateway = "";

    public async Task InitializeAsync()
    {
        var tokens = Path.Combine(_folder.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, Token + "\n");
        _hosts.Add(await LoopbackHost.StartAsync(ServiceCatalog.Create("inference")));
        _hosts.Add(await LoopbackHost.StartAsync(ServiceCatalog.Create("orchestrator"), ("Moco:Orchestrator:RunStore", Path.Combine(_folder.FullName, "runs.db"))));
        var options = GatewayOptions.ForServices(_hosts);
        options.Auth = new GatewayAuthOptions { TokensFile = tokens };
        var gateway = await LoopbackHost.StartAsync(new GatewayModule(ServiceCatalog.Contracts, options));
        await LoopbackCluster.UntilAsync(gateway, [.. _hosts], healthy: true);
        _hosts.Add(gateway);
        _gateway = gateway.GrpcAddress.ToString();
    }

    public async Task DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            await host.DisposeAsync();
        }
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task The_cli_lists_runs_with_moco_server_token_and_says_what_is_missing_without_it()
    {
        var saved = Environment.GetEnvironmentVariable("MOCO_SERVER_TOKEN");
        try
        {
            Environment.SetEnvironmentVariable("MOCO_SERVER_TOKEN", null);
            var refused = await RunEndToEndTests.Cli("runs", "list", "--gateway", _gateway, "--json");
            Assert.Equal(ExitCodes.Environment, refused.Code);
            Assert.Contains("refuses this client", refused.Err);
            Assert.Contains("MOCO_SERVER_TOKEN", refused.Err);

            Environment.SetEnvironmentVariable("MOCO_SERVER_TOKEN", Token);
            var listed = await RunEndToEndTests.Cli("runs", "list", "--gateway", _gateway, "--json");
            Assert.True(listed.Code == 0, listed.Err);
            Assert.Equal("[]", listed.Out.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOCO_SERVER_TOKEN", saved);
        }
    }

    [Fact]
    public async Task A_service_with_the_gateway_token_reaches_inference_through_it()
    {
        Assert.Contains("is not in the inference catalogue", await VerifierProbe.ReasonAsync(_gateway, ("Moco:Host:GatewayToken", Token)));
        Assert.Contains("Unauthenticated", await VerifierProbe.ReasonAsync(_gateway));
    }
}
