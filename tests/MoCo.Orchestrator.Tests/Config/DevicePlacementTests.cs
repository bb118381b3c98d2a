using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Tests.Config;

/// <summary>Device placement of an embedded run (config-and-cli.md §2.3): `--device`/MOCO_DEVICE, then the config's
/// `device`, then the gpu_ids mapping, then auto; the problems validation reports for GPUs that are not there.</summary>
public sealed class DevicePlacementTests
{
    private static string Config(string extra = "", string gpuIds = "[0, 1, 2]") => $$"""
        {"method": "text_multiagent_refine", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": {{gpuIds}},
         "model_names": ["m-a", "m-b", "m-c"], "hyperparameters": {"round": 1}{{extra}}}
        """;

    // Validates with the given device environment; returns the problems and, when valid, the placement.
    private static (IReadOnlyList<ConfigProblem> Problems, DevicePlacement? Placement) Place(string text, string? requested, int gpus)
    {
        var devices = new DeviceEnvironment(requested, gpus);
        var result = new ConfigValidator(MethodRegistry.Default).Validate(text, "test.json", new ValidationOptions(Devices: devices));
        return (result.Problems, result.Config is { } config ? DevicePlacement.For(config, devices) : null);
    }

    private static ConfigProblem Single(IReadOnlyList<ConfigProblem> problems, string code) => Assert.Single(problems, p => p.Code == code);

    [Fact]
    public void Gpu_ids_map_model_i_to_gpu_ids_i_mod_len_and_negative_ids_to_the_cpu()
    {
        var (problems, placement) = Place(Config(gpuIds: "[1, -1]"), null, gpus: 2);
        Assert.Equal("gpu_ids", placement!.Source);
        Assert.Equal(["cuda:1", "cpu", "cuda:1"], placement.Models);
        Assert.Equal("cuda:1", placement.Replica);
        // Each device gets a replica of its own (ReplicaPlan), so a spread placement is nothing to warn about.
        Assert.Empty(problems);
    }

    [Fact]
    public void Without_a_gpu_gpu_ids_map_to_the_cpu_with_one_notice()
    {
        var (problems, placement) = Place(Config(), null, gpus: 0);
        Assert.Equal(["cpu", "cpu", "cpu"], placement!.Models);
        var notice = Single(problems, ConfigCodes.GpuRemapped);
        Assert.Equal("gpu_ids", notice.Path);
        Assert.Contains("no CUDA device is visible", notice.Message);
        // Negative ids already say "CPU": nothing to tell.
        Assert.DoesNotContain(Place(Config(gpuIds: "[-1]"), null, gpus: 0).Problems, p => p.Code == ConfigCodes.GpuRemapped);
    }

    [Fact]
    public void A_gpu_index_beyond_the_visible_devices_is_CFG011_naming_them()
    {
        var (problems, placement) = Place(Config(gpuIds: "[0, 3]"), null, gpus: 2);
        Assert.Null(placement);
        var error = Single(problems, ConfigCodes.Device);
        Assert.Equal("gpu_ids", error.Path);
        Assert.Contains("gpu_ids name cuda:3, but the visible devices are cpu, cuda:0, cuda:1", error.Message);
        Assert.Contains("indices below 2", error.Fix);
    }

    [Theory]
    [InlineData("cpu", 2, "cpu,cpu,cpu")]
    [InlineData("cuda", 2, "cuda:0,cuda:1,cuda:0")]
    [InlineData("cuda:1", 2, "cuda:1,cuda:1,cuda:1")]
    [InlineData("cuda:1,0", 2, "cuda:1,cuda:0,cuda:1")]
    public void The_config_device_overrides_gpu_ids(string device, int gpus, string expected)
    {
        var (_, placement) = Place(Config($", \"device\": \"{device}\""), null, gpus);
        Assert.Equal("device", placement!.Source);
        Assert.Equal(expected.Split(','), placement.Models);
    }

    [Fact]
    public void The_flag_or_MOCO_DEVICE_overrides_the_config_and_auto_defers_to_the_next_rule()
    {
        var text = Config(", \"device\": \"cuda:1\"");
        var (_, flagged) = Place(text, "cpu", gpus: 2);
        Assert.Equal("--device/MOCO_DEVICE", flagged!.Source);
        Assert.Equal(["cpu", "cpu", "cpu"], flagged.Models);
        Assert.Equal("device", Place(text, "auto", gpus: 2).Placement!.Source);
        var (_, automatic) = Place(Config(gpuIds: "[]"), null, gpus: 1);
        Assert.Equal("auto", automatic!.Source);
        Assert.Equal(["cuda:0", "cuda:0", "cuda:0"], automatic.Models);
        Assert.Equal(["cpu", "cpu", "cpu"], Place(Config(gpuIds: "[]"), null, gpus: 0).Placement!.Models);
    }

    [Theory]
    [InlineData(", \"device\": \"cuda:2\"", null, "device", "device \"cuda:2\" names cuda:2, but the visible devices are cpu, cuda:0, cuda:1")]
    [InlineData("", "cuda:5", "", "--device/MOCO_DEVICE \"cuda:5\" names cuda:5, but the visible devices are cpu, cuda:0, cuda:1")]
    [InlineData("", "tpu", "", "--device/MOCO_DEVICE \"tpu\" is not a device")]
    public void A_device_that_is_not_there_is_CFG011(string extra, string? requested, string path, string message)
    {
        var (problems, placement) = Place(Config(extra), requested, gpus: 2);
        Assert.Null(placement);
        var error = Single(problems, ConfigCodes.Device);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Every_gpu_requested_on_a_machine_without_one_is_CFG011()
    {
        var error = Single(Place(Config(", \"device\": \"cuda\""), null, gpus: 0).Problems, ConfigCodes.Device);
        Assert.Contains("names every GPU, but no CUDA device is visible here (only cpu)", error.Message);
    }

    [Fact]
    public void Big_model_mode_over_several_devices_is_CFG011_and_over_one_is_accepted()
    {
        var text = Config(", \"device\": \"cuda\"").Replace("{\"round\": 1}", "{\"round\": 1, \"big_model_mode\": true}", StringComparison.Ordinal);
        var error = Single(Place(text, null, gpus: 2).Problems, ConfigCodes.Device);
        Assert.Equal("hyperparameters.big_model_mode", error.Path);
        Assert.Contains("cuda:0, cuda:1", error.Message);
        Assert.Equal(["cuda:0", "cuda:0", "cuda:0"], Place(text, null, gpus: 1).Placement!.Models);
    }

    [Fact]
    public void Without_a_device_environment_nothing_is_checked()
    {
        var result = TestData.Validate(Config(gpuIds: "[7]"), checkTask: false);
        Assert.True(result.Valid);
        Assert.DoesNotContain(result.Problems, p => p.Code is ConfigCodes.Device or ConfigCodes.GpuRemapped);
    }

    // text_llm_blender over models a and b with a ranker r: its ranker_gpu_id places r, its fuser defaults to model_names[0].
    private static string Blender(string gpuIds, string ranker = "") => $$$"""
        {"method": "text_llm_blender", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": {{{gpuIds}}},
         "model_names": ["m-a", "m-b"], "hyperparameters": {"ranker_model_name": "m-r"{{{ranker}}}}}
        """;

    private static IReadOnlyList<(string Key, string Name, string Device)> Implied(string text, string? requested, int gpus)
    {
        var devices = new DeviceEnvironment(requested, gpus);
        var config = new ConfigValidator(MethodRegistry.Default).Validate(text, "test.json", new ValidationOptions(Devices: devices)).Config!;
        return DevicePlacement.For(config, devices)!.Implied(config, MethodRegistry.Default.Find(config.Method), gpus);
    }

    [Fact]
    public void A_models_gpu_index_key_places_it_through_the_gpu_ids_map()
    {
        Assert.Equal([("ranker_model_name", "m-r", "cuda:1")], Implied(Blender("[0, 1]", ", \"ranker_gpu_id\": 1"), null, gpus: 2));
        // Its default is gpu_ids[0]; a negative index, or a machine without a GPU, is the CPU.
        Assert.Equal("cuda:1", Implied(Blender("[1, 0]"), null, gpus: 2).Single().Device);
        Assert.Equal("cpu", Implied(Blender("[0, 1]", ", \"ranker_gpu_id\": -1"), null, gpus: 2).Single().Device);
        Assert.Equal("cpu", Implied(Blender("[0, 1]", ", \"ranker_gpu_id\": 1"), null, gpus: 0).Single().Device);
        // A rule above gpu_ids places implied models with the first model.
        Assert.Equal("cuda:0", Implied(Blender("[0, 1]", ", \"ranker_gpu_id\": 1"), "cuda", gpus: 2).Single().Device);
    }

    [Fact]
    public void A_gpu_index_key_naming_a_gpu_that_is_not_there_is_CFG011()
    {
        var (problems, _) = Place(Blender("[0, 1]", ", \"ranker_gpu_id\": 2"), null, gpus: 2);
        var error = Single(problems, ConfigCodes.Device);
        Assert.Equal("hyperparameters.ranker_gpu_id", error.Path);
        Assert.Contains("ranker_gpu_id 2 names cuda:2, but the visible devices are cpu, cuda:0, cuda:1", error.Message);
        // The same key under --device is not used, so not checked; nor without a GPU, where everything runs on the CPU.
        Assert.DoesNotContain(Place(Blender("[0, 1]", ", \"ranker_gpu_id\": 2"), "cuda", gpus: 2).Problems, p => p.Code == ConfigCodes.Device);
        Assert.DoesNotContain(Place(Blender("[0, 1]", ", \"ranker_gpu_id\": 2"), null, gpus: 0).Problems, p => p.Code == ConfigCodes.Device);
    }
}
