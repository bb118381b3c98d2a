using System.Text.Json.Nodes;
using MoCo.Cli;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>The README's main command: the quickstart config on the bundled zoo and task suite, embedded, every model
/// resolved as zoo/&lt;name&gt; from the checkout's models/ and the task from its data/ — nothing from outside the
/// repository. The results table shows the collaboration and each model alone.</summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class QuickstartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-quickstart-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_quickstart_runs_on_the_zoo_and_prints_the_collaboration_beside_each_model()
    {
        var root = MoCo.Testing.Checkout.Root;
        var configPath = Path.Combine(root, "examples", "quickstart.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MocoCommandLine.InvokeAsync(
            ["run", configPath, "--limit", "20", "-l", Path.Combine(_dir, "logs"), "--store", Path.Combine(_dir, "runs.db"), "--device", "cpu"], output, error);
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
        var table = output.ToString();
        Assert.Contains($"{(string)config["method"]!} ({config["model_names"]!.AsArray().Count} models)", table);
        foreach (var model in config["model_names"]!.AsArray())
        {
            Assert.Contains((string)model!, table);
        }
        var run = Directory.GetDirectories(Path.Combine(_dir, "logs", "moco")).Single();
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!;
        Assert.Equal(config["model_names"]!.AsArray().Count, result["baselines"]!.AsArray().Count);
    }
}
