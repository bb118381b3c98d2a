using MoCo.Models.Catalog;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Tests.Config;

/// <summary>The inference replicas of an embedded run (config-and-cli.md §2.3): one per device its placement uses, in
/// order of first use, each serving the models placed there; a name placed twice runs where it was placed first.</summary>
public sealed class ReplicaPlanTests
{
    private static DevicePlacement Placement(params string[] devices) => new("gpu_ids", devices);

    [Fact]
    public void Each_device_gets_one_replica_with_its_models_in_config_order()
    {
        var plan = ReplicaPlan.Of(Placement("cuda:1", "cpu", "cuda:1", "cuda:0"), ["m-a", "m-b", "m-c", "m-d"]);

        Assert.True(plan.Spread);
        Assert.Equal(["cuda:1", "cpu", "cuda:0"], plan.Groups.Select(g => g.Device));
        Assert.Equal(["m-a", "m-c"], plan.Groups[0].Models);
        Assert.Equal(["m-b"], plan.Groups[1].Models);
        Assert.Equal(["m-d"], plan.Groups[2].Models);
        Assert.Equal(["cuda:1", "cpu", "cuda:1", "cuda:0"], new[] { "m-a", "m-b", "m-c", "m-d" }.Select(plan.DeviceOf));
        // A model no group lists (a judge, a ranker, a merged model) runs on the first replica.
        Assert.Equal("cuda:1", plan.DeviceOf("judge"));
    }

    [Fact]
    public void A_name_placed_on_two_devices_runs_where_it_was_placed_first()
    {
        var plan = ReplicaPlan.Of(Placement("cuda:0", "cuda:1", "cuda:1"), ["m-a", "m-a", "m-b"]);

        Assert.Equal(["cuda:0", "cuda:1"], plan.Groups.Select(g => g.Device));
        Assert.Equal(["m-a"], plan.Groups[0].Models);
        Assert.Equal(["m-b"], plan.Groups[1].Models);
        Assert.Equal("cuda:0", plan.DeviceOf("m-a"));
    }

    [Fact]
    public void Implied_models_join_the_replica_of_their_device_after_model_names()
    {
        var plan = ReplicaPlan.Of(Placement("cuda:0", "cuda:1"), ["m-a", "m-b"],
            [("ranker_model_name", "m-r", "cuda:2"), ("fuser_model_name", "m-f", "cuda:1"), ("reward_model_name", "m-a", "cuda:2")]);

        Assert.Equal(["cuda:0", "cuda:1", "cuda:2"], plan.Groups.Select(g => g.Device));
        Assert.Equal(["m-b", "m-f"], plan.Groups[1].Models);
        Assert.Equal(["m-r"], plan.Groups[2].Models);
        // A name of model_names keeps its own placement.
        Assert.Equal("cuda:0", plan.DeviceOf("m-a"));
    }

    [Fact]
    public void One_device_is_one_replica()
    {
        var plan = ReplicaPlan.Of(Placement("cpu", "cpu"), ["m-a", "m-b"]);
        Assert.False(plan.Spread);
        Assert.Equal("cpu", Assert.Single(plan.Groups).Device);
        Assert.Equal(["m-a", "m-b"], plan.Groups[0].Models);
        Assert.False(ReplicaPlan.On(null).Spread);
        Assert.Null(ReplicaPlan.On(null).DeviceOf("m-a"));
        Assert.Throws<ArgumentException>(() => ReplicaPlan.Of(Placement("cpu"), ["m-a", "m-b"]));
    }

    [Fact]
    public void A_path_named_model_is_also_listed_under_the_folder_its_calls_are_sent_with()
    {
        var root = Directory.CreateTempSubdirectory("moco-replica-plan-").FullName;
        try
        {
            var (mine, theirs) = (Path.Combine(root, "models", "mine"), Path.Combine(root, "models", "theirs"));
            foreach (var folder in new[] { mine, theirs })
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "config.json"), """{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}""");
            }
            var resolver = new ModelResolver([], Path.Combine(root, "zoo"), huggingFaceCache: null);
            var text = """
                {"method": "text_majority_vote", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [0, 1, 1],
                 "model_names": ["models/mine", "models/mine", "models/theirs"], "hyperparameters": {"max_response_length": 8}}
                """;
            var devices = new DeviceEnvironment(null, 2);
            var config = new ConfigValidator(MethodRegistry.Default).Validate(text, Path.Combine(root, "c.json"),
                TestData.Options() with { Models = resolver, ConfigDirectory = root, Devices = devices }).Config!;

            var plan = ReplicaPlan.Of(DevicePlacement.For(config, devices)!, config.ModelNames).WithAddresses(ModelAddresses.For(config, resolver));

            Assert.Equal(["models/mine", Path.GetFullPath(mine)], plan.Groups[0].Models);
            Assert.Equal(["models/theirs", Path.GetFullPath(theirs)], plan.Groups[1].Models);
            Assert.Equal("cuda:0", plan.DeviceOf("models/mine"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
