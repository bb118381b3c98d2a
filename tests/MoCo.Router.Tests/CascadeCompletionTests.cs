using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Router.Tests;

/// <summary>Complete of a stored api_cascade router (methods-api.md §6) over scripted models: each level keeps the answers
/// its rule accepts (logit mode: confidence against the level's threshold, asked for below the last level only;
/// just_ask: unless the model says it is unconfident), passes the rest on, and the last level answers whatever is left.</summary>
public sealed class CascadeCompletionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-cascade-" + Guid.NewGuid().ToString("N")[..8]);

    // Confidence: "sure" 0.9 everywhere, "middling" 0.6, anything else 0.2; just_ask prompts mentioning "hard" get an
    // unconfident answer from every model.
    private sealed class ScriptedModels : IRouterModels
    {
        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public ConcurrentQueue<(string Model, string Prompt, int TopK)> Calls { get; } = new();

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Calls.Enqueue((model, prompt, settings.ConfidenceTopK));
            var confidence = prompt.Contains("sure", StringComparison.Ordinal) ? 0.9 : prompt.Contains("middling", StringComparison.Ordinal) ? 0.6 : 0.2;
            var text = prompt.Contains("hard", StringComparison.Ordinal) && prompt != "hard" ? "I am unconfident" : $"{model} answers";
            return Task.FromResult(new RouterGeneration(text, new Usage { CompletionTokens = 2 }, settings.ConfidenceTopK > 0 ? confidence : null));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new NotSupportedException("a cascade never embeds");
    }

    private static RouterContext Context()
    {
        var context = new RouterContext { Method = "api_cascade", Seed = 2, RunId = "r1", Phase = "test" };
        context.ModelNames.AddRange(["m-a", "m-b", "m-c"]);
        context.Hyperparameters = new Struct { Fields = { ["max_response_length"] = Value.ForNumber(8) } };
        return context;
    }

    private StoredRouter Router(string mode, params double[] thresholds) => new RouterStore(_directory).Save("api_cascade", ["m-a", "m-b", "m-c"], "r0", mode,
        CascadeRule.Payload(mode == "logit", thresholds, reference: false));

    private static async Task<List<CompletedItem>> Complete(IRouterModels models, StoredRouter router, params string[] prompts)
    {
        var items = new List<CompletedItem>();
        await foreach (var item in new CascadeCompletion(models).CompleteAsync(Context(), router,
            [.. prompts.Select((p, i) => new RouteInput { Index = i, Prompt = p })], default))
        {
            items.Add(item);
        }
        return [.. items.OrderBy(i => i.Index)];
    }

    [Fact]
    public async Task Logit_mode_keeps_answers_confident_enough_for_their_level_and_the_last_level_takes_the_rest()
    {
        var models = new ScriptedModels();
        var items = await Complete(models, Router("logit", 0.5, 0.7), "sure", "middling", "vague");

        Assert.Equal(["m-a answers", "m-a answers", "m-c answers"], items.Select(i => i.Output));
        Assert.Equal([0, 0, 2], items.Select(i => (int)i.Extras.Fields["level"].NumberValue));
        // The last confidence measured, as the run's extras report it: "vague" was last scored at m-b.
        Assert.Equal([0.9, 0.6, 0.2], items.Select(i => i.Extras.Fields["confidence"].NumberValue));
        Assert.Equal([0, 1, 2], items[2].ModelsUsed);
        Assert.Equal(6, items[2].Usage.CompletionTokens);
        // Confidence is asked below the last level only.
        Assert.All(models.Calls, c => Assert.Equal(c.Model == "m-c" ? 0 : 5, c.TopK));
        Assert.Equal(["m-a", "m-a", "m-a", "m-b", "m-c"], models.Calls.Select(c => c.Model).Order());
    }

    [Fact]
    public async Task Just_ask_mode_defers_the_answers_a_model_calls_unconfident()
    {
        var models = new ScriptedModels();
        var items = await Complete(models, Router("just_ask"), "easy", "hard");

        Assert.Equal(["m-a answers", "m-c answers"], items.Select(i => i.Output));
        Assert.Equal([0, 2], items.Select(i => (int)i.Extras.Fields["level"].NumberValue));
        // Below the last level the question is asked with the just-ask instructions; the last level gets it plainly.
        Assert.All(models.Calls.Where(c => c.Model != "m-c"), c => Assert.Contains("unconfident", c.Prompt, StringComparison.Ordinal));
        Assert.Equal("hard", Assert.Single(models.Calls, c => c.Model == "m-c").Prompt);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
