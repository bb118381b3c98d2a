using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>The registry: 28 ids at their levels, schemas that accept their own defaults, and UNIMPLEMENTED for a method
/// not built yet.</summary>
public sealed class MethodRegistryTests
{
    [Fact]
    public void It_lists_the_27_methods_and_single_model_by_level()
    {
        var all = MethodRegistry.Default.All;
        Assert.Equal(28, all.Count);
        Assert.Equal(8, all.Count(m => m.Level == MethodLevel.Api));
        Assert.Equal(12, all.Count(m => m.Level == MethodLevel.Text));
        Assert.Equal(2, all.Count(m => m.Level == MethodLevel.Logit));
        Assert.Equal(5, all.Count(m => m.Level == MethodLevel.Weight));
        Assert.Equal("single_model", Assert.Single(all, m => m.Level == MethodLevel.Single).Id);
        Assert.All(all, m => Assert.StartsWith(m.Level switch
        {
            MethodLevel.Api => "api_",
            MethodLevel.Text => "text_",
            MethodLevel.Logit => "logit_",
            MethodLevel.Weight => "weight_",
            _ => "single_",
        }, m.Id));
    }

    [Fact]
    public void A_method_not_built_yet_answers_unimplemented_at_run_start()
    {
        // Every method is built in the default registry; a build without one (here: only single_model) still knows it.
        var partial = new MethodRegistry(new Dictionary<string, Func<ICollaborationMethod>> { ["single_model"] = () => new Stub() });
        var error = Assert.Throws<MethodNotImplementedException>(() => partial.Create("api_collm"));
        Assert.Equal(StatusCode.Unimplemented, error.ToRpcException().StatusCode);
        Assert.Contains("api_collm", error.ToRpcException().Status.Detail);
        Assert.Throws<KeyNotFoundException>(() => MethodRegistry.Default.Create("nope"));
        Assert.All(MethodRegistry.Default.All, m => Assert.True(MethodRegistry.Default.IsImplemented(m.Id), m.Id));
    }

    [Fact]
    public void An_implementation_is_created_from_its_factory()
    {
        var registry = new MethodRegistry(new Dictionary<string, Func<ICollaborationMethod>> { ["single_model"] = () => new Stub() });
        Assert.True(registry.IsImplemented("single_model"));
        Assert.IsType<Stub>(registry.Create("single_model"));
        Assert.Throws<ArgumentException>(() => new MethodRegistry(new Dictionary<string, Func<ICollaborationMethod>> { ["nope"] = () => new Stub() }));
    }

    /// <summary>Writing every key at its default validates: the schemas agree with their own defaults.</summary>
    [Fact]
    public void Every_method_accepts_its_defaults_written_out()
    {
        foreach (var method in MethodRegistry.Default.All)
        {
            var n = Math.Max(method.MinModels, method.Id == "api_mentor_collab" ? 2 : 4);
            n = method.MaxModels is { } max ? Math.Min(n, max) : n;
            var models = Enumerable.Range(0, n).Select(i => $"org/model-{i}").ToList();
            var hyper = new JsonObject();
            foreach (var key in method.AllKeys)
            {
                hyper[key.Name] = key switch
                {
                    { Required: true, Type: ParamType.StringList } => new JsonArray([.. models.Select(m => (JsonNode?)JsonValue.Create("about " + m))]),
                    { Required: true, Type: ParamType.Enum } => key.Values[0],
                    { Required: true } => "org/base",
                    _ => JsonNode.Parse(key.Default!.Compute(new DefaultContext(models, [0], "agieval_tiny", Orchestrator.Config.CompatMode.Moco,
                        k => JsonSerializer.SerializeToElement(512))).GetRawText()),
                };
            }
            var config = new JsonObject
            {
                ["method"] = method.Id,
                ["task"] = "agieval_tiny",
                ["task_type"] = "multiple_choice",
                ["gpu_ids"] = new JsonArray(0),
                ["model_names"] = new JsonArray([.. models.Select(m => (JsonNode?)JsonValue.Create(m))]),
                ["hyperparameters"] = hyper,
            };
            var result = TestData.Validate(config.ToJsonString(), checkTask: false);
            Assert.True(result.Valid, method.Id + ": " + string.Join("\n", result.Errors.Select(p => p.Format("x"))));
        }
    }

    private sealed class Stub : ICollaborationMethod
    {
        public string Id => "single_model";

        public Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken) => throw new NotSupportedException("a stub");
    }
}
