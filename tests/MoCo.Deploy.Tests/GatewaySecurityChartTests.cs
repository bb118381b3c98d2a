namespace MoCo.Deploy.Tests;

/// <summary>
/// TLS on the gateway (gateway.tls): the gateway serves its certificate from the Secret, and every service that calls
/// it does so by https:// and trusts the Secret's authority alone (never mounting the gateway's key); bearer tokens
/// (gateway.auth): the gateway reads the accepted tokens from its Secret, the callers send theirs from an env entry of
/// the same Secret. The paths the hosts are configured with are the files the mounts put there.
/// </summary>
public sealed class GatewaySecurityChartTests
{
    private const string Tls = "gateway: {tls: {secretName: moco-gateway-tls}}\n";
    private static readonly string[] Callers = ["router", "evaluator", "orchestrator"];

    // Where a configured path lands: the mount above it and the secret item behind it.
    private static (string Secret, string Key) FileBehind(Dictionary<object, object> workload, string path)
    {
        var mounts = ((List<object>)Manifests.Container(workload)["volumeMounts"]).Cast<Dictionary<object, object>>();
        var mount = mounts.Single(m => path.StartsWith((string)m["mountPath"] + "/", StringComparison.Ordinal));
        Assert.Equal("true", mount["readOnly"]);
        var volumes = ((List<object>)Node.At(workload, "spec", "template", "spec", "volumes")).Cast<Dictionary<object, object>>();
        var secret = (Dictionary<object, object>)volumes.Single(v => (string)v["name"] == (string)mount["name"])["secret"];
        var relative = path[((string)mount["mountPath"]).Length..].TrimStart('/');
        var item = ((List<object>)secret["items"]).Cast<Dictionary<object, object>>().Single(i => (string)i["path"] == relative);
        return ((string)secret["secretName"], (string)item["key"]);
    }

    private static IEnumerable<string> SecretKeysMounted(Dictionary<object, object> workload) =>
        Node.At(workload, "spec", "template", "spec") is Dictionary<object, object> pod && pod.TryGetValue("volumes", out var volumes)
            ? ((List<object>)volumes).Cast<Dictionary<object, object>>().Where(v => v.ContainsKey("secret"))
                .SelectMany(v => ((List<object>)((Dictionary<object, object>)v["secret"])["items"]).Cast<Dictionary<object, object>>().Select(i => (string)i["key"]))
            : [];

    [Fact]
    public void The_gateway_serves_the_secrets_certificate_and_its_callers_trust_the_secrets_authority_by_https()
    {
        var (code, output, error) = Chart.Helm(Tls, "lint", Chart.Directory);
        Assert.True(code == 0, output + error);
        var chart = Chart.Render(Tls + "data: {existingClaim: moco-data}\n");

        var gateway = chart.Get("Deployment", "t-moco-gateway");
        var env = Manifests.Env(gateway);
        Assert.Equal(("moco-gateway-tls", "tls.crt"), FileBehind(gateway, env["Moco__Gateway__Tls__CertificatePath"]));
        Assert.Equal(("moco-gateway-tls", "tls.key"), FileBehind(gateway, env["Moco__Gateway__Tls__KeyPath"]));
        Assert.False(env.ContainsKey("Moco__Host__TrustedCaPath"));

        foreach (var service in Callers)
        {
            var workload = chart.Get("Deployment", $"t-moco-{service}");
            var own = Manifests.Env(workload);
            var addresses = own.Where(e => e.Key.EndsWith("Address", StringComparison.Ordinal) && !e.Key.StartsWith("Moco__Host__", StringComparison.Ordinal)).Select(e => e.Value).ToList();
            Assert.NotEmpty(addresses);
            Assert.All(addresses, a => Assert.Equal("https://t-moco-gateway:50050", a));
            Assert.Equal(("moco-gateway-tls", "ca.crt"), FileBehind(workload, own["Moco__Host__TrustedCaPath"]));
            Assert.Equal(["ca.crt"], SecretKeysMounted(workload));
        }
        // The evaluator keeps its data claim beside the authority.
        Assert.Contains("/data", ((List<object>)Manifests.Container(chart.Get("Deployment", "t-moco-evaluator"))["volumeMounts"])
            .Cast<Dictionary<object, object>>().Select(m => (string)m["mountPath"]));
        // Inference calls nobody: nothing of the secret reaches it.
        var inference = chart.Get("StatefulSet", "t-moco-inference-default");
        Assert.Empty(SecretKeysMounted(inference));
        Assert.False(Manifests.Env(inference).ContainsKey("Moco__Host__TrustedCaPath"));
    }

    [Fact]
    public void A_publicly_trusted_certificate_needs_no_authority_and_no_tls_is_h2c_as_before()
    {
        var chart = Chart.Render("gateway: {tls: {secretName: moco-gateway-tls, caKey: \"\"}}\n");
        foreach (var service in Callers)
        {
            var workload = chart.Get("Deployment", $"t-moco-{service}");
            Assert.Equal("https://t-moco-gateway:50050", Manifests.Env(workload)[$"Moco__{char.ToUpperInvariant(service[0])}{service[1..]}__InferenceAddress"]);
            Assert.False(Manifests.Env(workload).ContainsKey("Moco__Host__TrustedCaPath"));
            Assert.Empty(SecretKeysMounted(workload));
        }

        var plain = Chart.Render();
        Assert.False(Manifests.Env(plain.Get("Deployment", "t-moco-gateway")).ContainsKey("Moco__Gateway__Tls__CertificatePath"));
        foreach (var service in Callers)
        {
            Assert.Equal("http://t-moco-gateway:50050",
                Manifests.Env(plain.Get("Deployment", $"t-moco-{service}"))[$"Moco__{char.ToUpperInvariant(service[0])}{service[1..]}__InferenceAddress"]);
        }
    }

    [Fact]
    public void With_auth_the_gateway_reads_the_accepted_tokens_and_each_caller_sends_the_service_token_from_the_secret()
    {
        var chart = Chart.Render("gateway: {auth: {existingSecret: moco-auth}}\n");

        var gateway = chart.Get("Deployment", "t-moco-gateway");
        Assert.Equal(("moco-auth", "tokens"), FileBehind(gateway, Manifests.Env(gateway)["Moco__Gateway__Auth__TokensFile"]));
        Assert.Null(TokenFrom(gateway));
        foreach (var service in Callers)
        {
            var workload = chart.Get("Deployment", $"t-moco-{service}");
            Assert.Equal(("moco-auth", "service-token"), TokenFrom(workload));
            // The callers hold their own token only: the accepted list stays in the gateway.
            Assert.Empty(SecretKeysMounted(workload));
        }
        var inference = chart.Get("StatefulSet", "t-moco-inference-default");
        Assert.Null(TokenFrom(inference));
        Assert.Empty(SecretKeysMounted(inference));
        Assert.Null(TokenFrom(Chart.Render().Get("Deployment", "t-moco-router")));
    }

    // The Secret and key the GatewayToken env entry reads, or null without one.
    private static (string, string)? TokenFrom(Dictionary<object, object> workload)
    {
        var entry = ((List<object>)Manifests.Container(workload)["env"]).Cast<Dictionary<object, object>>()
            .SingleOrDefault(e => (string)e["name"] == "Moco__Host__GatewayToken");
        return entry is null ? null : ((string)Node.At(entry, "valueFrom", "secretKeyRef", "name"), (string)Node.At(entry, "valueFrom", "secretKeyRef", "key"));
    }
}
