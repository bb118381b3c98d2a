using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Evaluator;
using MoCo.Evaluator.Sandbox.Service;
using MoCo.Testing;

namespace MoCo.Deploy.Tests;

/// <summary>
/// The code sandbox as its own Deployment (evaluation.md §4.2), for clusters whose nodes lack unprivileged
/// namespaces: its pods are the isolation boundary (no service-account token, no volume but an emptyDir, no egress),
/// the evaluator calls them over gRPC and needs no capability itself, and nothing else may reach them.
/// </summary>
public sealed class SandboxChartTests
{
    private const string Enabled = """
        sandbox:
          enabled: true
          runtimeClassName: gvisor

        """;

    private const string Policies = """
        networkPolicy:
          enabled: true
          metricsFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]

        """;

    private static readonly Dictionary<string, string> Stranger = new() { ["app"] = "elsewhere" };

    private static Dictionary<string, string> PodLabels(Dictionary<object, object> workload) =>
        ((Dictionary<object, object>)Node.At(workload, "spec", "template", "metadata", "labels")).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value);

    private static Dictionary<object, object> PodSpec(Dictionary<object, object> workload) =>
        (Dictionary<object, object>)Node.At(workload, "spec", "template", "spec");

    private static NetworkPolicies PoliciesOf(Manifests chart) =>
        new(chart.All.Where(d => (string)d["kind"] == "NetworkPolicy"));

    [Fact]
    public void By_default_there_is_no_sandbox_deployment_and_the_evaluator_runs_programs_itself()
    {
        var chart = Chart.Render();

        Assert.DoesNotContain(chart.All, d => ((string)Node.At(d, "metadata", "name")).Contains("sandbox", StringComparison.Ordinal));
        var evaluator = chart.Get("Deployment", "t-moco-evaluator");
        Assert.Equal(["SYS_ADMIN"], (List<object>)Node.At(Manifests.Container(evaluator), "securityContext", "capabilities", "add"));
        Assert.False(Manifests.Env(evaluator).ContainsKey("Moco__Evaluator__SandboxAddress"));

        // With network policies on and no sandbox, the evaluator reaches no pod labelled as a sandbox.
        var policed = Chart.Render(Policies);
        Assert.False(policed.Has("NetworkPolicy", "t-moco-sandbox"));
        var sandboxLabels = PodLabels(Chart.Render(Enabled).Get("Deployment", "t-moco-sandbox"));
        Assert.False(PoliciesOf(policed).Admits(PodLabels(policed.Get("Deployment", "t-moco-evaluator")), sandboxLabels, 50055));
    }

    [Fact]
    public void The_sandbox_serves_on_its_ports_in_a_pod_with_no_token_no_service_links_and_only_an_empty_dir()
    {
        var (code, output, error) = Chart.Helm(Enabled + Policies, "lint", Chart.Directory);
        Assert.True(code == 0, output + error);

        var chart = Chart.Render(Enabled);
        var sandbox = chart.Get("Deployment", "t-moco-sandbox");
        Assert.Equal("2", Node.At(sandbox, "spec", "replicas"));
        var pod = PodSpec(sandbox);
        Assert.Equal("false", pod["automountServiceAccountToken"]);
        Assert.Equal("false", pod["enableServiceLinks"]);
        Assert.Equal("gvisor", pod["runtimeClassName"]);
        Assert.False(pod.ContainsKey("initContainers"));
        Assert.Single((List<object>)pod["containers"]);

        // The one volume is an emptyDir, mounted at /tmp (TMPDIR): no claim, secret, config map or host path.
        var volume = (Dictionary<object, object>)Assert.Single((List<object>)pod["volumes"]);
        Assert.Equal(new[] { "emptyDir", "name" }, volume.Keys.Cast<string>().Order());
        var container = Manifests.Container(sandbox);
        var mount = (Dictionary<object, object>)Assert.Single((List<object>)container["volumeMounts"]);
        Assert.Equal(("/tmp", volume["name"]), ((string)mount["mountPath"], mount["name"]));

        Assert.Equal(["serve", "sandbox"], (List<object>)container["args"]);
        var ports = ((List<object>)container["ports"]).Cast<Dictionary<object, object>>().ToDictionary(p => (string)p["name"], p => (string)p["containerPort"]);
        Assert.Equal(new Dictionary<string, string> { ["grpc"] = "50055", ["admin"] = "9055" }, ports);
        Assert.Equal("/readyz", Node.At(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("admin", Node.At(container, "readinessProbe", "httpGet", "port"));

        var env = Manifests.Env(sandbox);
        Assert.Equal(("true", "/tmp"), (env["Moco__Sandbox__PodIsolation"], env["TMPDIR"]));
        Assert.Equal(("50055", "9055"), (env["Moco__Host__GrpcPort"], env["Moco__Host__AdminPort"]));
        Assert.False(env.ContainsKey("Moco__Sandbox__UidBase"));
        // Nothing of the cluster's reaches the pod through its environment either (no secretKeyRef, no fieldRef).
        Assert.All((List<object>)container["env"], e => Assert.False(((Dictionary<object, object>)e).ContainsKey("valueFrom")));
        // No capability unless sandbox.namespaces asks for one.
        Assert.False(container.ContainsKey("securityContext"));

        var service = chart.Get("Service", "t-moco-sandbox");
        var servicePorts = ((List<object>)Node.At(service, "spec", "ports")).Cast<Dictionary<object, object>>().ToDictionary(p => (string)p["name"], p => (string)p["port"]);
        Assert.Equal(new Dictionary<string, string> { ["grpc"] = "50055", ["admin"] = "9055" }, servicePorts);
        var labels = PodLabels(sandbox);
        Assert.All((Dictionary<object, object>)Node.At(service, "spec", "selector"), s => Assert.Equal((string)s.Value, labels[(string)s.Key]));
        Assert.True(chart.Has("PodDisruptionBudget", "t-moco-sandbox"));

        var namespaced = Manifests.Container(Chart.Render("sandbox: {enabled: true, namespaces: true}").Get("Deployment", "t-moco-sandbox"));
        Assert.Equal(["SYS_ADMIN"], (List<object>)Node.At(namespaced, "securityContext", "capabilities", "add"));
        var defaultRuntime = PodSpec(Chart.Render("sandbox: {enabled: true}").Get("Deployment", "t-moco-sandbox"));
        Assert.False(defaultRuntime.ContainsKey("runtimeClassName"));
    }

    [Fact]
    public void With_the_sandbox_the_evaluator_calls_its_service_and_needs_no_capability_and_the_gateway_does_not_route_it()
    {
        var chart = Chart.Render(Enabled + "evaluator: {sandboxNamespaces: true}\n");

        var evaluator = chart.Get("Deployment", "t-moco-evaluator");
        var address = Manifests.Env(evaluator)["Moco__Evaluator__SandboxAddress"];
        Assert.Equal("http://t-moco-sandbox:50055", address);
        // The address is the sandbox Service's gRPC port, and that Service selects the sandbox's pods.
        var uri = new Uri(address);
        var service = chart.Get("Service", uri.Host);
        Assert.Contains(((List<object>)Node.At(service, "spec", "ports")).Cast<Dictionary<object, object>>(),
            p => (string)p["name"] == "grpc" && (string)p["port"] == uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("sandbox", Node.At(service, "spec", "selector", "app.kubernetes.io/component"));
        Assert.False(Manifests.Container(evaluator).ContainsKey("securityContext"));

        Assert.DoesNotContain(Manifests.Env(chart.Get("Deployment", "t-moco-gateway")),
            e => e.Key.Contains("Sandbox", StringComparison.OrdinalIgnoreCase) || e.Value.Contains("sandbox", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void With_auth_the_sandbox_reads_its_own_tokens_as_root_alone_and_the_evaluator_sends_its_caller_token()
    {
        const string auth = "sandbox: {enabled: true, auth: {existingSecret: moco-sandbox-auth}}\ngateway: {auth: {existingSecret: moco-auth}}\n";
        var (code, output, error) = Chart.Helm(auth, "lint", Chart.Directory);
        Assert.True(code == 0, output + error);
        var chart = Chart.Render(auth);

        var sandbox = chart.Get("Deployment", "t-moco-sandbox");
        Assert.Equal("/etc/moco/sandbox-auth/tokens", Manifests.Env(sandbox)["Moco__Sandbox__TokensFile"]);
        var mount = ((List<object>)Manifests.Container(sandbox)["volumeMounts"]).Cast<Dictionary<object, object>>().Single(m => (string)m["name"] == "sandbox-auth");
        Assert.Equal(("/etc/moco/sandbox-auth", "true"), ((string)mount["mountPath"], (string)mount["readOnly"]));
        var secret = (Dictionary<object, object>)((List<object>)PodSpec(sandbox)["volumes"]).Cast<Dictionary<object, object>>()
            .Single(v => (string)v["name"] == "sandbox-auth")["secret"];
        Assert.Equal("moco-sandbox-auth", secret["secretName"]);
        Assert.Equal(("tokens", "tokens"), ((string)Node.At(secret, "items", 0, "key"), (string)Node.At(secret, "items", 0, "path")));
        // Root reads it; a program's unprivileged uid cannot.
        Assert.Equal("0400", secret["defaultMode"]);
        // The gateway's credentials never reach the pod that runs model-written code.
        Assert.DoesNotContain((List<object>)Manifests.Container(sandbox)["env"], e => ((Dictionary<object, object>)e).ContainsKey("valueFrom"));

        var evaluator = Manifests.Container(chart.Get("Deployment", "t-moco-evaluator"));
        var token = ((List<object>)evaluator["env"]).Cast<Dictionary<object, object>>().Single(e => (string)e["name"] == "Moco__Evaluator__SandboxToken");
        Assert.Equal(("moco-sandbox-auth", "evaluator-token"),
            ((string)Node.At(token, "valueFrom", "secretKeyRef", "name"), (string)Node.At(token, "valueFrom", "secretKeyRef", "key")));
        Assert.DoesNotContain(Manifests.Env(Chart.Render(Enabled).Get("Deployment", "t-moco-evaluator")), e => e.Key == "Moco__Evaluator__SandboxToken");
    }

    [Fact]
    public void Network_policies_let_only_the_evaluator_reach_the_sandbox_and_the_sandbox_reach_nothing()
    {
        var chart = Chart.Render(Enabled + Policies);
        var policies = PoliciesOf(chart);
        var pods = chart.All.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet")
            .ToDictionary(w => (string)Node.At(w, "metadata", "name"), PodLabels);
        var sandbox = pods["t-moco-sandbox"];
        var evaluator = pods["t-moco-evaluator"];
        var gateway = pods["t-moco-gateway"];
        Assert.All(pods.Values, labels => Assert.Single(policies.Selecting(labels)));

        // In: the sandbox's gRPC port from the evaluator's pods alone.
        Assert.True(policies.Admits(evaluator, sandbox, 50055), "evaluator → sandbox grpc");
        foreach (var (name, labels) in pods.Where(p => p.Key is not ("t-moco-evaluator" or "t-moco-sandbox")).Append(KeyValuePair.Create("stranger", Stranger)))
        {
            Assert.False(policies.Admits(labels, sandbox, 50055), $"{name} → sandbox grpc");
            Assert.False(policies.Admits(labels, sandbox, 9055), $"{name} → sandbox admin (metricsFrom names another namespace)");
        }
        var policy = chart.Get("NetworkPolicy", "t-moco-sandbox");
        var admin = ((List<object>)Node.At(policy, "spec", "ingress")).Cast<Dictionary<object, object>>()
            .Single(r => ((List<object>)r["ports"]).Cast<Dictionary<object, object>>().Any(p => (string)p["port"] == "9055"));
        Assert.Equal("monitoring", Node.At(admin, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        var open = Chart.Render(Enabled + "networkPolicy: {enabled: true}\n");
        var openSandbox = PodLabels(open.Get("Deployment", "t-moco-sandbox"));
        Assert.True(PoliciesOf(open).Admits(Stranger, openSandbox, 9055), "metricsFrom empty: anyone scrapes the admin port");
        Assert.False(PoliciesOf(open).Admits(Stranger, openSandbox, 50055), "but not the gRPC port");

        // Out: nothing at all, not even DNS or the gateway (whose gRPC port admits anyone).
        Assert.Contains("Egress", ((List<object>)Node.At(policy, "spec", "policyTypes")).Cast<string>());
        var spec = (Dictionary<object, object>)policy["spec"];
        Assert.Empty(spec.TryGetValue("egress", out var egress) ? (List<object>)egress : new List<object>());
        Assert.False(policies.Admits(sandbox, Stranger, 53, "UDP"), "sandbox → DNS");
        Assert.False(policies.Admits(sandbox, Stranger, 53), "sandbox → DNS over TCP");
        Assert.False(policies.Admits(sandbox, Stranger, 443), "sandbox → the internet");
        Assert.False(policies.Admits(sandbox, gateway, 50050), "sandbox → gateway");
        Assert.True(policies.Admits(Stranger, gateway, 50050), "the gateway admits anyone: the refusal above is the sandbox's egress");

        // The evaluator's egress adds the sandbox's gRPC port and nothing else of it; the gateway and DNS as before.
        Assert.False(policies.Admits(evaluator, sandbox, 9055), "evaluator → sandbox admin");
        Assert.False(policies.Admits(evaluator, Stranger, 50055), "evaluator → port 50055 of a pod that is not the sandbox");
        Assert.True(policies.Admits(evaluator, gateway, 50050));
        Assert.True(policies.Admits(evaluator, Stranger, 53, "UDP"));
        Assert.False(policies.Admits(evaluator, Stranger, 443));
    }

    [Fact]
    public async Task The_sandbox_and_the_evaluator_start_on_the_configuration_the_chart_gives_them()
    {
        var chart = Chart.Render(Enabled);
        static (string, string?)[] Settings(Dictionary<object, object> workload, string section) => Manifests.Env(workload)
            .Where(e => e.Key.StartsWith(section, StringComparison.Ordinal))
            .Select(e => (e.Key.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)).ToArray();

        // The real sandbox host binds its options (PodIsolation) and validates them before it serves.
        await using var sandbox = await LoopbackHost.StartAsync(new SandboxModule(), Settings(chart.Get("Deployment", "t-moco-sandbox"), "Moco__Sandbox__"));
        Assert.True(sandbox.App.Services.GetRequiredService<SandboxOptions>().PodIsolation);
        using var channel = GrpcChannel.ForAddress(sandbox.GrpcAddress);
        var program = await new SandboxService.SandboxServiceClient(channel).RunProgramAsync(new RunProgramRequest { Program = "print(6 * 7)\n" });
        Assert.Equal((0, "42\n", ""), (program.ExitCode!.Value, program.StdoutTail, program.Failure));

        // The evaluator takes the chart's address; that name resolves only in the cluster, so here coding says so.
        await using var evaluator = await LoopbackHost.StartAsync(new EvaluatorModule(), Settings(chart.Get("Deployment", "t-moco-evaluator"), "Moco__Evaluator__"));
        using var evaluatorChannel = GrpcChannel.ForAddress(evaluator.GrpcAddress);
        var tasks = await new EvaluatorService.EvaluatorServiceClient(evaluatorChannel).ListTasksAsync(new ListTasksRequest());
        Assert.Contains("http://t-moco-sandbox:50055", tasks.TaskTypes.Single(t => t.Name == "coding").UnavailableReason);
    }
}
