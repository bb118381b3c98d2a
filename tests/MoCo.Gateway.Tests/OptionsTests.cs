using Microsoft.Extensions.Configuration;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Support;
using MoCo.Hosting;

namespace MoCo.Gateway.Tests;

public sealed class OptionsTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Moco:Gateway:Inference:DefaultGroup"] = "small",
        ["Moco:Gateway:Inference:Groups:small:Replicas:0:Address"] = "http://10.0.0.5:50051",
        ["Moco:Gateway:Inference:Groups:small:Replicas:0:Health"] = "http://10.0.0.5:9051",
        ["Moco:Gateway:Inference:Groups:big:Models:0"] = "big-7b",
        ["Moco:Gateway:Inference:Groups:big:Models:1"] = "llama3:8b",
        ["Moco:Gateway:Inference:Groups:big:Replicas:0:Address"] = "http://10.0.0.6:50051",
        ["Moco:Gateway:Inference:Groups:big:Replicas:0:Health"] = "http://10.0.0.6:9051",
        ["Moco:Gateway:Router:Replicas:0:Address"] = "http://10.0.0.7:50052",
        ["Moco:Gateway:Router:Replicas:0:Health"] = "http://10.0.0.7:9052",
        ["Moco:Gateway:HealthChecks:Interval"] = "00:00:03",
    };

    [Fact]
    public void Configuration_binds_groups_models_and_replicas()
    {
        var topology = GatewayOptionsValidator.Validate(Bind(Valid));

        Assert.Equal(["moco.v1.InferenceService", "moco.v1.RouterService"], topology.Backends.Select(b => b.Backend.ServiceName));
        var inference = topology.Backends.Single(b => b.Backend == GatewayBackends.Inference);
        Assert.Equal("small", inference.Default.Group);
        Assert.Equal(["big-7b", "llama3:8b"], inference.Sets.Single(s => s.Group == "big").Models);
        Assert.Equal("10.0.0.6:50051", inference.Sets.Single(s => s.Group == "big").Replicas.Single().Id);
        Assert.Equal(TimeSpan.FromSeconds(3), topology.HealthChecks.Interval);
    }

    [Theory]
    [InlineData("Moco:Gateway:Inference:Groups:small:Replicas:0:Address", "not-a-url", "Moco:Gateway:Inference:Groups:small:Replicas:0:Address")]
    [InlineData("Moco:Gateway:Inference:Groups:small:Replicas:0:Address", "http://10.0.0.5:50051/grpc", "Moco:Gateway:Inference:Groups:small:Replicas:0:Address")]
    [InlineData("Moco:Gateway:Router:Replicas:0:Health", "", "Moco:Gateway:Router:Replicas:0:Health")]
    [InlineData("Moco:Gateway:Router:Replicas:1:Address", "http://10.0.0.7:50052", "Moco:Gateway:Router:Replicas:1:Health")]
    [InlineData("Moco:Gateway:Inference:DefaultGroup", "huge", "Moco:Gateway:Inference:DefaultGroup")]
    [InlineData("Moco:Gateway:Inference:Groups:small:Models:0", "big-7b", "Moco:Gateway:Inference:Groups:small:Models:0")]
    [InlineData("Moco:Gateway:Inference:Groups:big:Models:2", "has space", "Moco:Gateway:Inference:Groups:big:Models:2")]
    [InlineData("Moco:Gateway:Inference:Groups:empty:Models:0", "orphan", "Moco:Gateway:Inference:Groups:empty:Replicas")]
    [InlineData("Moco:Gateway:Inference:Groups:bad/name:Replicas:0:Address", "http://10.0.0.9:50051", "Moco:Gateway:Inference:Groups:bad/name")]
    [InlineData("Moco:Gateway:Inference:Groups:big:Replicas:1:Address", "http://10.0.0.5:50051", "Moco:Gateway:Inference:Groups:small:Replicas:0:Address")]
    [InlineData("Moco:Gateway:HealthChecks:Interval", "00:00:00", "Moco:Gateway:HealthChecks:Interval")]
    [InlineData("Moco:Gateway:HealthChecks:FailureThreshold", "0", "Moco:Gateway:HealthChecks:FailureThreshold")]
    [InlineData("Moco:Gateway:StreamIdleTimeout", "-00:00:01", "Moco:Gateway:StreamIdleTimeout")]
    [InlineData("Moco:Gateway:Tls:KeyPath", "/etc/moco/key.pem", "Moco:Gateway:Tls:CertificatePath")]
    [InlineData("Moco:Gateway:Tls:CertificatePath", "/no/such/cert.pem", "Moco:Gateway:Tls:CertificatePath")]
    public void Every_problem_names_its_key_and_a_fix(string key, string value, string reported)
    {
        var settings = new Dictionary<string, string?>(Valid) { [key] = value };
        if (key.EndsWith(":1:Address", StringComparison.Ordinal) && key.Contains("Groups:big", StringComparison.Ordinal))
        {
            settings["Moco:Gateway:Inference:Groups:big:Replicas:1:Health"] = "http://10.0.0.5:9051";
        }

        var error = Assert.Throws<MocoConfigurationException>(() => BuildHost(settings));
        Assert.Equal(reported, error.Key);
        Assert.StartsWith(reported + ": ", error.Message);
        Assert.Contains("fix: ", error.Message);
    }

    [Fact]
    public void Options_with_no_backend_are_refused()
    {
        var error = Assert.Throws<MocoConfigurationException>(() => GatewayOptionsValidator.Validate(new GatewayOptions()));
        Assert.Equal("Moco:Gateway", error.Key);
    }

    [Fact]
    public void The_host_appsettings_route_every_service_to_its_contract_port()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "MoCo.sln")))
        {
            repository = repository.Parent ?? throw new DirectoryNotFoundException("the repository root (MoCo.sln) above " + AppContext.BaseDirectory);
        }
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(repository.FullName, "gateway", "src", "MoCo.Gateway.Host", "appsettings.json"))
            .Build();

        var topology = GatewayOptionsValidator.Validate(configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()!);

        Assert.Equal(
        [
            ("moco.v1.InferenceService", "http://127.0.0.1:50051/", "http://127.0.0.1:9051/"),
            ("moco.v1.RouterService", "http://127.0.0.1:50052/", "http://127.0.0.1:9052/"),
            ("moco.v1.EvaluatorService", "http://127.0.0.1:50053/", "http://127.0.0.1:9053/"),
            ("moco.v1.OrchestratorService", "http://127.0.0.1:50054/", "http://127.0.0.1:9054/"),
        ], topology.Backends.Select(b => (b.Backend.ServiceName, b.Default.Replicas.Single().Address.ToString(), b.Default.Replicas.Single().Health.ToString())));
        Assert.Equal("127.0.0.1", configuration["Moco:Host:BindAddress"]);
    }

    [Fact]
    public async Task Embedded_mode_builds_options_from_the_services_it_started()
    {
        await using var inference = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        await using var router = await TestHosts.StartReplicaAsync(GatewayBackends.Router);

        var options = GatewayOptions.ForServices([inference.Service, router.Service]);

        Assert.Equal(inference.Service.GrpcAddress.ToString(), options.Inference.Groups["default"].Replicas.Single().Address);
        Assert.Equal(router.Service.AdminAddress.ToString(), options.Router.Replicas.Single().Health);
        Assert.Empty(options.Evaluator.Replicas);
        await using var gateway = await TestHosts.StartGatewayAsync(options.Fast());
        Assert.Equal(router.ServedBy, (await gateway.Channel.EchoAsync(GatewayBackends.Router)).AnsweredBy);
        Assert.Equal(["moco.v1.InferenceService", "moco.v1.RouterService"], gateway.Service.Module.GrpcServiceNames);
    }

    private static GatewayOptions Bind(IDictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(GatewayOptions.Section).Get<GatewayOptions>()!;

    /// <summary>Builds a gateway host from configuration as the gateway process does, without starting it.</summary>
    private static void BuildHost(IDictionary<string, string?> settings) =>
        MocoHost.Build(new GatewayModule(TestHosts.Contracts), configure: TestHosts.Loopback(settings));
}
