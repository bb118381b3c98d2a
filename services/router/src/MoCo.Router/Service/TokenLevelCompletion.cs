using System.Diagnostics;
using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Decoding;
using MoCo.Router.Store;

namespace MoCo.Router.Service;

/// <summary>
/// Complete for the token-level methods (methods-api.md §0.11): api_nudging (TextSync lock-step) and api_mentor_collab
/// (TextSync and forks; mode "train" judges with the generator's MLP from the judge registry), which need no fitted
/// router, and api_collm, whose stored router is the run's trained generator. Each input is decoded over Decode exactly as a run decodes its test item (item key <see cref="RouterItems.Key"/>, the
/// request's seed), items as they finish; each model's decode is counted in <see cref="RouterMetrics"/> with the item's
/// duration, since the models step in lock-step.
/// </summary>
public sealed class TokenLevelCompletion(IDecodeBackend decoding, MentorMlpRegistry judges, RouterMetrics metrics)
{
    /// <summary>The methods this class completes.</summary>
    public static IReadOnlySet<string> Methods { get; } = new HashSet<string>(["api_nudging", "api_mentor_collab"]);

    /// <summary>The answered inputs of <paramref name="context"/>'s method, as they finish; <paramref name="payload"/> = a
    /// stored api_nudging router's (null = the context's gamma and nudger).</summary>
    public async IAsyncEnumerable<CompletedItem> CompleteAsync(RouterContext context, IReadOnlyList<RouteInput> inputs, System.Text.Json.Nodes.JsonObject? payload,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Func<RouteInput, Task<CompletedItem>> answer = context.Method switch
        {
            "api_nudging" => Nudger(context, payload, cancellationToken),
            "api_mentor_collab" => Mentor(context, cancellationToken),
            _ => throw new ArgumentException($"{context.Method} is not a token-level method completed here", nameof(context)),
        };
        await foreach (var item in CompletedItems.AsFinished(inputs.Select(answer)).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>api_collm for a stored deferral router (methods-api.md §8 inference): the router is the trained generator a
    /// run fitted (its payload names the model id and the deferral entry's id), decoded with deferral under the request's
    /// thresholds, each input on its own Decode stream.</summary>
    public IAsyncEnumerable<CompletedItem> CoLlmAsync(RouterContext context, StoredRouter router, IReadOnlyList<RouteInput> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(router);
        var settings = RouterSettings.CoLlm(context, router.Payload);
        return CompletedItems.AsFinished(inputs.Select(async input =>
        {
            var started = Stopwatch.GetTimestamp();
            var prompt = await decoding.TokenizeChatAsync(settings.Generator, CoLlmDecoding.Prompt(input.Prompt), generationPrompt: true, cancellationToken).ConfigureAwait(false);
            var text = await CoLlmDecoding.RunAsync(decoding, settings, prompt.Ids, RouterItems.Key(input), cancellationToken).ConfigureAwait(false);
            Count(context.Method, started, text.Deferred > 0 ? [settings.Generator, settings.Mentor] : [settings.Generator]);
            var item = new CompletedItem
            {
                Index = input.Index,
                Output = text.Text,
                Extras = new Struct { Fields = { ["deferred_tokens"] = Value.ForNumber(text.Deferred), ["mentor_steps"] = Value.ForNumber(text.MentorSteps) } },
                Usage = new Usage { PromptTokens = prompt.Ids.Length, CompletionTokens = text.Ids.Count },
            };
            item.ModelsUsed.Add(0);
            if (text.Deferred > 0)
            {
                item.ModelsUsed.Add(1);
            }
            return item;
        }));
    }

    /// <summary>TrainRouter for api_mentor_collab, which fits nothing (methods-api.md §0.11: the MLP judge is pretrained):
    /// the settings are checked as Complete would read them (mode "train" needs the generator's registered judge) and the
    /// payload records the mode.</summary>
    public System.Text.Json.Nodes.JsonObject MentorRouter(RouterContext context)
    {
        var settings = RouterSettings.Mentor(context, judges);
        return new System.Text.Json.Nodes.JsonObject { ["kind"] = "mentor_collab", ["mode"] = settings.Judge is null ? "free" : "train" };
    }

    private Func<RouteInput, Task<CompletedItem>> Nudger(RouterContext context, System.Text.Json.Nodes.JsonObject? payload, CancellationToken cancellationToken)
    {
        var settings = RouterSettings.Nudging(context, payload);
        return async input =>
        {
            var started = Stopwatch.GetTimestamp();
            var text = await Nudging.RunAsync(decoding, settings, input.Prompt, context.Seed, RouterItems.Key(input), cancellationToken).ConfigureAwait(false);
            Count(context.Method, started, settings.BaseModel, settings.NudgingModel);
            var item = new CompletedItem
            {
                Index = input.Index,
                Output = text.Text,
                Extras = new Struct { Fields = { ["nudged_pieces"] = Value.ForNumber(text.Authors.Count(a => a == 1)), ["pieces"] = Value.ForNumber(text.Authors.Count) } },
                Usage = new Usage { CompletionTokens = text.Steps },
            };
            item.ModelsUsed.AddRange(text.Authors.Distinct().Select(a => context.ModelNames.IndexOf(a == 0 ? settings.BaseModel : settings.NudgingModel)));
            return item;
        };
    }

    private Func<RouteInput, Task<CompletedItem>> Mentor(RouterContext context, CancellationToken cancellationToken)
    {
        var settings = RouterSettings.Mentor(context, judges);
        return async input =>
        {
            var started = Stopwatch.GetTimestamp();
            var text = await MentorCollab.RunAsync(decoding, settings, input.Prompt, context.Seed, RouterItems.Key(input), cancellationToken).ConfigureAwait(false);
            Count(context.Method, started, settings.Generator, settings.Mentor);
            var item = new CompletedItem
            {
                Index = input.Index,
                Output = text.Text,
                Extras = new Struct
                {
                    Fields =
                    {
                        ["consultations"] = Value.ForNumber(text.Consultations),
                        ["divergences"] = Value.ForNumber(text.Divergences),
                        ["mentor_patches"] = Value.ForNumber(text.MentorPatches),
                    },
                },
            };
            item.ModelsUsed.Add(0);
            if (text.MentorPatches > 0)
            {
                item.ModelsUsed.Add(1);
            }
            return item;
        };
    }

    private void Count(string method, long started, params string[] models)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        foreach (var model in models.Distinct())
        {
            metrics.ModelCall(method, model, "decode", elapsed);
        }
    }
}
