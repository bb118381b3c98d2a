using System.Globalization;
using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Decoding;
using MoCo.Router.Store;

namespace MoCo.Router.Service;

/// <summary>
/// Complete for a stored api_collm router (methods-api.md §8 inference): the router is the trained generator a run
/// fitted (its payload names the model id and the deferral entry's id), so a deployment serves deferral decoding
/// behind the gateway with the request's thresholds. Inputs decode concurrently, each on its own Decode stream, and
/// stream back as they finish.
/// </summary>
public static class CoLlmCompletion
{
    /// <summary>The completed inputs, in the order they finish.</summary>
    public static async IAsyncEnumerable<CompletedItem> CompleteAsync(IDecodeBackend decoding, RouterContext context, StoredRouter router, IEnumerable<RouteInput> inputs,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decoding);
        ArgumentNullException.ThrowIfNull(router);
        var settings = RouterSettings.CoLlm(context, router.Payload);
        var pending = inputs.Select(async input =>
        {
            var prompt = await decoding.TokenizeChatAsync(settings.Generator, CoLlmDecoding.Prompt(input.Prompt), generationPrompt: true, cancellationToken).ConfigureAwait(false);
            var text = await CoLlmDecoding.RunAsync(decoding, settings, prompt.Ids, "serve/" + input.Index.ToString(CultureInfo.InvariantCulture), cancellationToken)
                .ConfigureAwait(false);
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
        }).ToList();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(finished);
            yield return await finished.ConfigureAwait(false);
        }
    }
}
