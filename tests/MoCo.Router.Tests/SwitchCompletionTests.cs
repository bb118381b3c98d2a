using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Router.Service;

namespace MoCo.Router.Tests;

/// <summary>Complete for api_switch_generation (methods-api.md §3) over scripted models: the request's selector picks
/// every patch's author, patches join with single spaces, each item reports its authors and the usage of all its calls,
/// and a request without a selector is refused naming the field.</summary>
public sealed class SwitchCompletionTests
{
    private sealed class ScriptedModels : IRouterModels
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public ConcurrentQueue<(string Model, string Prompt, int MaxNewTokens)> Calls { get; } = new();

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Calls.Enqueue((model, prompt, settings.MaxNewTokens));
            var text = model switch { "m-sel" => "1", "m-a" => "aaaa", _ => "bbbb" };
            return Task.FromResult(new RouterGeneration(text, new Usage { PromptTokens = 3, CompletionTokens = 2 }));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new NotSupportedException("SwitchGen never embeds");
    }

    private static RouterContext Context(string? selector)
    {
        var context = new RouterContext { Method = "api_switch_generation", Seed = 4, RunId = "r1", Phase = "test" };
        context.ModelNames.AddRange(["m-a", "m-b"]);
        context.Hyperparameters = new Struct { Fields = { ["max_response_length"] = Value.ForNumber(16), ["patch_size"] = Value.ForNumber(4) } };
        if (selector is not null)
        {
            context.Hyperparameters.Fields["selector_model_name"] = Value.ForString(selector);
        }
        return context;
    }

    [Fact]
    public async Task A_given_selector_authors_every_patch_and_the_item_sums_its_calls()
    {
        var models = new ScriptedModels();
        var items = new List<CompletedItem>();
        await foreach (var item in new SwitchCompletion(models).CompleteAsync(Context("m-sel"), null,
            [new RouteInput { Index = 3, Prompt = "Q1" }, new RouteInput { Index = 8, Prompt = "Q2" }], default))
        {
            items.Add(item);
        }
        Assert.Equal([3, 8], items.Select(i => i.Index).Order());
        Assert.All(items, item =>
        {
            // R = 16 / 4 = 4 rounds, each a selector call and a 4-token patch by model 1.
            Assert.Equal("bbbb bbbb bbbb bbbb", item.Output);
            Assert.Equal([1.0, 1.0, 1.0, 1.0], item.Extras.Fields["segment_model_index"].ListValue.Values.Select(v => v.NumberValue));
            Assert.Equal([1], item.ModelsUsed);
            Assert.Equal((8 * 3, 8 * 2), (item.Usage.PromptTokens, item.Usage.CompletionTokens));
        });
        Assert.Equal(8, models.Calls.Count(c => c.Model == "m-b" && c.MaxNewTokens == 4));
        Assert.Contains(models.Calls, c => c.Model == "m-b" && c.Prompt == "Q1<begin>bbbb bbbb ");
        Assert.Contains(models.Calls, c => c.Model == "m-sel" && c.Prompt.EndsWith(
            "Q2 <model 1 begins> bbbb <model 1 ends> Which model should generate the next segment? Please respond with a number from 0 to 1. The answer is model ",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_without_a_selector_is_refused_naming_the_field()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in new SwitchCompletion(new ScriptedModels()).CompleteAsync(Context(null), null, [new RouteInput { Index = 0, Prompt = "Q" }], default))
            {
            }
        });
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("selector_model_name", refused.Status.Detail, StringComparison.Ordinal);
    }
}
