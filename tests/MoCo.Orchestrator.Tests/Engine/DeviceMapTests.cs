using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>run_started's device map (config-and-cli.md §2.3): model_names in order with their replica's device, then
/// the models a method's keys imply, each with its key as its role; empty devices where a cluster places the models.</summary>
public sealed class DeviceMapTests
{
    [Fact]
    public void Model_names_then_implied_models_each_on_its_replicas_device()
    {
        var replicas = ReplicaPlan.Of(new DevicePlacement("gpu_ids", ["cuda:0", "cuda:1", "cuda:1"]), ["m-a", "m-b", "m-a"],
            [("ranker_model_name", "m-r", "cuda:2")]);

        var started = RunEvents.Started("text_llm_blender", "agieval_tiny", "multiple_choice", ["m-a", "m-b", "m-a"], null, null, 1, false, false, replicas,
            [("ranker_model_name", "m-r"), ("fuser_model_name", "m-r")]);

        Assert.Equal([("m-a", "", 0, "cuda:0"), ("m-b", "", 1, "cuda:1"), ("m-a", "", 2, "cuda:0"), ("m-r", "ranker_model_name", 0, "cuda:2")],
            started.DeviceMap.Select(d => (d.Name, d.Role, d.Index, d.Device)));
        var server = RunEvents.Started("text_llm_blender", "agieval_tiny", "multiple_choice", ["m-a"], null, null, 1, false, false, null, [("ranker_model_name", "m-r")]);
        Assert.All(server.DeviceMap, d => Assert.Equal("", d.Device));
        Assert.Equal(2, server.DeviceMap.Count);
    }
}
