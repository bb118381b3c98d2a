using MoCo.Models.Catalog;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>A model named by a path beside the config reaches the inference service as its directory; other names go
/// as written.</summary>
public sealed class ModelAddressesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("moco-addresses-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_config_relative_path_is_sent_as_the_directory_and_a_models_folder_name_as_written()
    {
        var configDir = Path.Combine(_root, "experiment");
        var besideConfig = Model(Path.Combine(configDir, "models", "mine"));
        var modelsFolder = Path.Combine(_root, "models");
        Model(Path.Combine(modelsFolder, "shared-model"));
        var resolver = new ModelResolver([modelsFolder], Path.Combine(_root, "zoo"), huggingFaceCache: null);
        var config = Config(["models/mine", "shared-model"], configDir, resolver);

        var addresses = ModelAddresses.For(config, resolver);
        Assert.Equal(besideConfig, addresses.Of("models/mine"));
        Assert.Equal("shared-model", addresses.Of("shared-model"));
        Assert.Equal("models/mine", ModelAddresses.For(config, resolver: null).Of("models/mine"));

        var seen = new Recording();
        var backend = new AddressedGenerationBackend(seen, addresses);
        await backend.GenerateAsync(new GenerationCall("models/mine", "p", "", 1, 4, 0, 1, 0, "key"), CancellationToken.None);
        await backend.FingerprintAsync("shared-model", CancellationToken.None);
        Assert.Equal([besideConfig, "shared-model"], seen.Models);
    }

    private static string Model(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}""");
        return Path.GetFullPath(dir);
    }

    private static RunConfig Config(string[] models, string configDir, ModelResolver resolver)
    {
        var names = string.Join(", ", models.Select(m => $"\"{m}\""));
        var text = $$$"""
            {"method": "text_majority_vote", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": [{{{names}}}], "hyperparameters": {"max_response_length": 8}}
            """;
        var result = new ConfigValidator(MethodRegistry.Default).Validate(text, Path.Combine(configDir, "c.json"),
            TestData.Options() with { Models = resolver, ConfigDirectory = configDir });
        return result.Config ?? throw new InvalidOperationException(string.Join("; ", result.Problems));
    }

    private sealed class Recording : IGenerationBackend
    {
        public List<string> Models { get; } = [];

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken)
        {
            Models.Add(model);
            return Task.FromResult(model);
        }

        public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
        {
            Models.Add(call.Model);
            return Task.FromResult<IReadOnlyList<GeneratedSample>>([new GeneratedSample("A", "stop", new CallUsage(1, 1, TimeSpan.Zero))]);
        }
    }
}
