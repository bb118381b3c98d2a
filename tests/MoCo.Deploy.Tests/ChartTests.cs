using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Cli.Embedded;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Health;
using MoCo.Testing;

namespace MoCo.Deploy.Tests;

public sealed class ChartTests
{
    // Two inference groups as a GPU cluster has them: a small CPU group by default, a big one on H100 nodes.
    private const string Cluster = """
        inference:
          defaultGroup: small
          groups:
            - name: small
              replicas: 1
              maxReplicas: 2
              device: cpu
            - name: big
              models: ["qwen2.5-7b-instruct", "llama3:8b"]
              replicas: 2
              maxReplicas: 3
              gpus: 2
              nodeSelector: {gpu: h100}
              tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
              settings: {KvCacheTokens: 65536, Preload: ["qwen2.5-7b-instruct"]}
        """;

    private static readonly (string Service, int Grpc, int Admin)[] Services =
        [("gateway", 50050, 9050), ("router", 50052, 9052), ("evaluator", 50053, 9053), ("orchestrator", 50054, 9054)];

    private static string Replica(string group, int ordinal, int port) =>
        $"http://t-moco-inference-{group}-{ordinal}.t-moco-inference-{group}.{Chart.Namespace}.svc.cluster.local:{port}";

    [Fact]
    public void The_chart_lints_and_renders_a_workload_and_service_per_component()
    {
        var (code, output, error) = Chart.Helm(Cluster, "lint", Chart.Directory);
        Assert.True(code == 0, output + error);

        var chart = Chart.Render(Cluster);
        foreach (var (service, _, _) in Services)
        {
            Assert.True(chart.Has("Deployment", $"t-moco-{service}"), service);
            Assert.True(chart.Has("Service", $"t-moco-{service}"), service);
        }
        foreach (var group in new[] { "small", "big" })
        {
            Assert.True(chart.Has("StatefulSet", $"t-moco-inference-{group}"), group);
        }
    }

    [Fact]
    public async Task The_gateway_starts_on_the_configuration_the_chart_gives_it_and_lists_every_replica_of_every_group()
    {
        var chart = Chart.Render(Cluster);
        var settings = Manifests.Env(chart.Get("Deployment", "t-moco-gateway"))
            .Where(e => e.Key.StartsWith("Moco__Gateway__", StringComparison.Ordinal))
            .Select(e => (e.Key.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)).ToArray();

        var options = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2))).Build()
            .GetSection(GatewayOptions.Section).Get<GatewayOptions>()!;
        Assert.Equal("small", options.Inference.DefaultGroup);
        Assert.Equal(["qwen2.5-7b-instruct", "llama3:8b"], options.Inference.Groups["big"].Models);
        // Every ordinal up to maxReplicas, so a group grown later is routed without reconfiguring the gateway.
        Assert.Equal(Enumerable.Range(0, 3).Select(k => (Replica("big", k, 50051), Replica("big", k, 9051))),
            options.Inference.Groups["big"].Replicas.Select(r => (r.Address, r.Health)));
        Assert.Equal(2, options.Inference.Groups["small"].Replicas.Count);
        Assert.Equal("http://t-moco-router:50052", Assert.Single(options.Router.Replicas).Address);

        // The real gateway validates its configuration before binding a port: it starts on this one and routes to
        // exactly the replicas listed.
        await using var gateway = await LoopbackHost.StartAsync(new GatewayModule(ServiceCatalog.Contracts), settings);
        var routed = gateway.App.Services.GetRequiredService<BackendHealth>().Current().Services.SelectMany(s => s.Replicas).Select(r => r.Address.ToString());
        var listed = options.Inference.Groups.Values.SelectMany(g => g.Replicas).Concat(options.Router.Replicas).Concat(options.Evaluator.Replicas)
            .Concat(options.Orchestrator.Replicas).Select(r => new Uri(r.Address).ToString());
        Assert.Equal(listed.Order(), routed.Order());
    }

    [Fact]
    public void Each_listed_replica_is_a_pod_of_its_groups_stateful_set_under_a_headless_service()
    {
        var chart = Chart.Render(Cluster);

        var set = chart.Get("StatefulSet", "t-moco-inference-big");
        var service = chart.Get("Service", "t-moco-inference-big");
        Assert.Equal("t-moco-inference-big", Node.At(set, "spec", "serviceName"));
        Assert.Equal("2", Node.At(set, "spec", "replicas"));
        Assert.Equal("None", Node.At(service, "spec", "clusterIP"));
        var labels = (Dictionary<object, object>)Node.At(set, "spec", "template", "metadata", "labels");
        Assert.All((Dictionary<object, object>)Node.At(service, "spec", "selector"), s => Assert.Equal(s.Value, labels[s.Key]));
        var ports = ((List<object>)Node.At(service, "spec", "ports")).Cast<Dictionary<object, object>>().ToDictionary(p => (string)p["name"], p => (string)p["port"]);
        Assert.Equal(new Dictionary<string, string> { ["grpc"] = "50051", ["admin"] = "9051" }, ports);
    }

    [Fact]
    public void Services_call_each_other_through_the_gateway_and_are_probed_on_their_admin_port()
    {
        var chart = Chart.Render(Cluster);

        foreach (var (service, grpc, admin) in Services.Skip(1))
        {
            var env = Manifests.Env(chart.Get("Deployment", $"t-moco-{service}"));
            var prefix = "Moco__" + char.ToUpperInvariant(service[0]) + service[1..] + "__";
            Assert.Equal("http://t-moco-gateway:50050", env[prefix + "InferenceAddress"]);
        }
        var gatewayService = chart.Get("Service", "t-moco-gateway");
        Assert.Contains(((List<object>)Node.At(gatewayService, "spec", "ports")).Cast<Dictionary<object, object>>(),
            p => (string)p["name"] == "grpc" && (string)p["port"] == "50050" && (string)p["appProtocol"] == "kubernetes.io/h2c");

        foreach (var workload in chart.All.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet"))
        {
            var container = Manifests.Container(workload);
            var service = (string)((List<object>)container["args"])[1];
            var (_, grpc, admin) = service == "inference" ? ("inference", 50051, 9051) : Services.Single(s => s.Service == service);
            var ports = ((List<object>)container["ports"]).Cast<Dictionary<object, object>>().ToDictionary(p => (string)p["name"], p => (string)p["containerPort"]);
            Assert.Equal([grpc.ToString(), admin.ToString()], [ports["grpc"], ports["admin"]]);
            var env = Manifests.Env(workload);
            Assert.Equal((grpc.ToString(), admin.ToString(), "0.0.0.0"), (env["Moco__Host__GrpcPort"], env["Moco__Host__AdminPort"], env["Moco__Host__BindAddress"]));
            Assert.Equal("/readyz", Node.At(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("/healthz", Node.At(container, "livenessProbe", "httpGet", "path"));
            Assert.Equal("admin", Node.At(container, "readinessProbe", "httpGet", "port"));
        }
    }

    [Fact]
    public void A_gpu_group_requests_its_gpus_on_its_nodes_and_passes_its_inference_settings()
    {
        var chart = Chart.Render(Cluster);

        var big = chart.Get("StatefulSet", "t-moco-inference-big");
        Assert.Equal("2", Node.At(Manifests.Container(big), "resources", "limits", "nvidia.com/gpu"));
        Assert.Equal("h100", Node.At(big, "spec", "template", "spec", "nodeSelector", "gpu"));
        Assert.Equal("nvidia.com/gpu", Node.At(big, "spec", "template", "spec", "tolerations", 0, "key"));
        var env = Manifests.Env(big);
        Assert.Equal(("cuda:0", "65536", "qwen2.5-7b-instruct"), (env["Moco__Inference__Device"], env["Moco__Inference__KvCacheTokens"], env["Moco__Inference__Preload__0"]));

        var small = chart.Get("StatefulSet", "t-moco-inference-small");
        Assert.Equal("cpu", Manifests.Env(small)["Moco__Inference__Device"]);
        Assert.False(Manifests.Container(small).ContainsKey("resources"));
    }

    [Fact]
    public void Models_and_data_come_from_their_claims_read_only()
    {
        var chart = Chart.Render(Cluster + "\nmodels: {existingClaim: models-pvc}\ndata: {existingClaim: data-pvc}\n");

        var big = chart.Get("StatefulSet", "t-moco-inference-big");
        Assert.Equal("/models", Manifests.Env(big)["Moco__Inference__ModelDirectories__0"]);
        AssertClaimMount(big, "/models", "models-pvc");
        foreach (var service in new[] { "evaluator", "orchestrator" })
        {
            var workload = chart.Get("Deployment", $"t-moco-{service}");
            Assert.Contains(Manifests.Env(workload), e => e.Key.EndsWith("__DataDirectories__0", StringComparison.Ordinal) && e.Value == "/data");
            AssertClaimMount(workload, "/data", "data-pvc");
        }
    }

    private static void AssertClaimMount(Dictionary<object, object> workload, string path, string claim)
    {
        var mount = ((List<object>)Manifests.Container(workload)["volumeMounts"]).Cast<Dictionary<object, object>>().Single(m => (string)m["mountPath"] == path);
        Assert.Equal("true", mount["readOnly"]);
        var volume = ((List<object>)Node.At(workload, "spec", "template", "spec", "volumes")).Cast<Dictionary<object, object>>().Single(v => v["name"].Equals(mount["name"]));
        Assert.Equal(claim, Node.At(volume, "persistentVolumeClaim", "claimName"));
        Assert.Equal("true", Node.At(volume, "persistentVolumeClaim", "readOnly"));
    }

    [Fact]
    public void The_orchestrator_keeps_runs_in_sqlite_alone_or_in_postgres_from_a_secret_with_several_replicas()
    {
        var alone = Chart.Render().Get("Deployment", "t-moco-orchestrator");
        Assert.Equal("/var/lib/moco/runs.db", Manifests.Env(alone)["Moco__Orchestrator__RunStore"]);
        Assert.Equal("Recreate", Node.At(alone, "spec", "strategy", "type"));

        var chart = Chart.Render("orchestrator: {replicas: 2, postgres: {existingSecret: moco-runs}}");
        var shared = chart.Get("Deployment", "t-moco-orchestrator");
        var store = ((List<object>)Manifests.Container(shared)["env"]).Cast<Dictionary<object, object>>().Single(e => (string)e["name"] == "Moco__Orchestrator__RunStore");
        Assert.Equal(("moco-runs", "connection-string"),
            ((string)Node.At(store, "valueFrom", "secretKeyRef", "name"), (string)Node.At(store, "valueFrom", "secretKeyRef", "key")));
        Assert.False(((Dictionary<object, object>)shared["spec"]).ContainsKey("strategy"));
        Assert.Equal("1", Node.At(chart.Get("PodDisruptionBudget", "t-moco-orchestrator"), "spec", "minAvailable"));
    }

    [Fact]
    public void An_autoscaled_group_grows_on_the_queue_gauge_inference_exports_up_to_the_replicas_the_gateway_lists()
    {
        var chart = Chart.Render(Cluster.Replace("      maxReplicas: 3\n", "      maxReplicas: 3\n      autoscaling: {enabled: true, targetAverage: \"4\"}\n"));

        var hpa = chart.Get("HorizontalPodAutoscaler", "t-moco-inference-big");
        Assert.Equal(("StatefulSet", "t-moco-inference-big"), ((string)Node.At(hpa, "spec", "scaleTargetRef", "kind"), (string)Node.At(hpa, "spec", "scaleTargetRef", "name")));
        Assert.Equal(("2", "3"), ((string)Node.At(hpa, "spec", "minReplicas"), (string)Node.At(hpa, "spec", "maxReplicas")));
        var gatewayListed = Manifests.Env(chart.Get("Deployment", "t-moco-gateway")).Keys.Count(k => k.StartsWith("Moco__Gateway__Inference__Groups__big__Replicas__", StringComparison.Ordinal) && k.EndsWith("__Address", StringComparison.Ordinal));
        Assert.Equal(3, gatewayListed);
        // The metric is the gauge the inference host exports (Prometheus spells its dots as underscores).
        Assert.Equal(MoCo.Inference.Scheduling.LoadMetrics.Queued.Replace('.', '_'), Node.At(hpa, "spec", "metrics", 0, "pods", "metric", "name"));
        Assert.Equal("4", Node.At(hpa, "spec", "metrics", 0, "pods", "target", "averageValue"));
        Assert.False(chart.Has("HorizontalPodAutoscaler", "t-moco-inference-small"));
    }

    [Fact]
    public void Extra_environment_is_appended_and_replaces_the_charts_entry_of_the_same_name()
    {
        var chart = Chart.Render(Cluster.Replace("      maxReplicas: 3\n", "      maxReplicas: 3\n      extraEnv: [{name: Moco__Inference__KvCacheTokens, value: \"8192\"}]\n")
            + "\ngateway: {extraEnv: [{name: Moco__Host__LogFormat, value: simple}, {name: Moco__Host__ShutdownTimeout, value: \"00:01:00\"}]}\n");

        var gateway = ((List<object>)Manifests.Container(chart.Get("Deployment", "t-moco-gateway"))["env"]).Cast<Dictionary<object, object>>().ToList();
        Assert.Equal(["simple"], gateway.Where(e => (string)e["name"] == "Moco__Host__LogFormat").Select(e => (string)e["value"]));
        Assert.Equal("Moco__Host__ShutdownTimeout", gateway[^1]["name"]);
        Assert.Equal("8192", Manifests.Env(chart.Get("StatefulSet", "t-moco-inference-big"))["Moco__Inference__KvCacheTokens"]);
        Assert.Equal("json", Manifests.Env(chart.Get("StatefulSet", "t-moco-inference-small"))["Moco__Host__LogFormat"]);
    }

    [Fact]
    public void Network_policies_let_only_the_gateway_reach_the_services_and_the_evaluator_only_the_gateway_and_dns()
    {
        var chart = Chart.Render(Cluster + """

            networkPolicy:
              enabled: true
              metricsFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
            """);
        var policies = new NetworkPolicies(chart.All.Where(d => (string)d["kind"] == "NetworkPolicy"));
        var pods = chart.All.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet").ToDictionary(
            w => (string)((List<object>)Manifests.Container(w)["args"])[1] + (w["kind"] is "StatefulSet" ? "-" + Node.At(w, "metadata", "name") : ""),
            w => ((Dictionary<object, object>)Node.At(w, "spec", "template", "metadata", "labels")).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value));
        var gateway = pods["gateway"];
        var stranger = new Dictionary<string, string> { ["app"] = "elsewhere" };
        var behind = pods.Where(p => p.Key != "gateway").ToList();
        Assert.Equal(5, behind.Count);  // router, evaluator, orchestrator and the two inference groups
        Assert.All(pods.Values, labels => Assert.Single(policies.Selecting(labels)));

        foreach (var (name, labels) in behind)
        {
            var (grpc, admin) = name.StartsWith("inference", StringComparison.Ordinal)
                ? (50051, 9051)
                : Services.Where(s => s.Service == name).Select(s => (s.Grpc, s.Admin)).Single();
            Assert.True(policies.Admits(gateway, labels, grpc), $"gateway → {name} grpc");
            Assert.True(policies.Admits(gateway, labels, admin), $"gateway → {name} health checks");
            Assert.False(policies.Admits(stranger, labels, grpc), $"stranger → {name} grpc");
            Assert.False(policies.Admits(stranger, labels, admin), $"stranger → {name} admin (metricsFrom names another namespace)");
            foreach (var (other, otherLabels) in behind.Where(b => b.Key != name))
            {
                Assert.False(policies.Admits(otherLabels, labels, grpc), $"{other} → {name} grpc, around the gateway");
            }
        }
        Assert.True(policies.Admits(stranger, gateway, 50050), "gatewayFrom empty: anyone calls the gateway");
        Assert.False(policies.Admits(stranger, gateway, 9050), "the gateway's admin port is metricsFrom's");

        // The evaluator runs model-written code: out of it only the gateway's gRPC port and DNS.
        var evaluator = pods["evaluator"];
        Assert.True(policies.Admits(evaluator, gateway, 50050));
        Assert.True(policies.Admits(evaluator, stranger, 53, "UDP"));
        Assert.False(policies.Admits(evaluator, stranger, 443));
        Assert.False(policies.Admits(evaluator, pods["inference-t-moco-inference-big"], 50051));
        Assert.True(policies.Admits(pods["orchestrator"], stranger, 5432), "other services' egress is not restricted (PostgreSQL, OTLP)");

        Assert.DoesNotContain(Chart.Render(Cluster).All, d => (string)d["kind"] == "NetworkPolicy");
    }

    [Fact]
    public void Only_the_evaluator_gets_the_capability_its_namespace_sandbox_needs_unless_the_values_decline_it()
    {
        var chart = Chart.Render(Cluster);
        foreach (var workload in chart.All.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet"))
        {
            var container = Manifests.Container(workload);
            var name = (string)Node.At(workload, "metadata", "name");
            if (name == "t-moco-evaluator")
            {
                Assert.Equal(["SYS_ADMIN"], (List<object>)Node.At(container, "securityContext", "capabilities", "add"));
            }
            else
            {
                Assert.False(container.ContainsKey("securityContext"), name);
            }
        }
        var declined = Chart.Render(Cluster + "\nevaluator: {sandboxNamespaces: false}\n").Get("Deployment", "t-moco-evaluator");
        Assert.False(Manifests.Container(declined).ContainsKey("securityContext"));
    }

    [Theory]
    [InlineData("inference: {defaultGroup: huge}", "inference.defaultGroup \"huge\" names no group")]
    [InlineData("inference: {defaultGroup: Big_1, groups: [{name: Big_1, replicas: 1, maxReplicas: 1}]}", "inference.groups name \"Big_1\" is not a DNS label")]
    [InlineData("orchestrator: {replicas: 2}", "orchestrator.replicas > 1 needs orchestrator.postgres.existingSecret")]
    [InlineData("router: {replicas: 3}", "router.replicas > 1 needs router.storeClaim")]
    public void Values_the_services_could_not_run_on_are_refused_naming_the_key(string values, string message) =>
        Assert.Contains(message, Chart.Refusal(values));
}
