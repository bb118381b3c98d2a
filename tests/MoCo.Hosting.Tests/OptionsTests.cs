namespace MoCo.Hosting.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("Moco:Host:BindAddress", "localhost-ish", "Moco:Host:BindAddress")]
    [InlineData("Moco:Host:GrpcPort", "70000", "Moco:Host:GrpcPort")]
    [InlineData("Moco:Host:LogFormat", "xml", "Moco:Host:LogFormat")]
    [InlineData("Moco:Host:MaxMessageBytes", "1024", "Moco:Host:MaxMessageBytes")]
    [InlineData("Moco:Host:OtlpEndpoint", "not a url", "Moco:Host:OtlpEndpoint")]
    public async Task A_bad_setting_fails_before_binding_and_names_its_key(string key, string value, string expectedKey)
    {
        var error = await Assert.ThrowsAsync<MocoConfigurationException>(() => ProbeModule.StartAsync(new ProbeModule(), (key, value)));
        Assert.Equal(expectedKey, error.Key);
        Assert.Contains("fix:", error.Message);
    }

    [Fact]
    public async Task Equal_grpc_and_admin_ports_are_refused()
    {
        var error = await Assert.ThrowsAsync<MocoConfigurationException>(() =>
            ProbeModule.StartAsync(new ProbeModule(), ("Moco:Host:GrpcPort", "50999"), ("Moco:Host:AdminPort", "50999")));
        Assert.Equal("Moco:Host:AdminPort", error.Key);
    }
}
