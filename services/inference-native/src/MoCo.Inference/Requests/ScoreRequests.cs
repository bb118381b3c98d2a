using MoCo.Contracts.V1;
using MoCo.Inference.Text;

namespace MoCo.Inference.Requests;

/// <summary>A Score call with every default decided.</summary>
/// <param name="Mode">CONTINUATION (also for unset or unknown values) or CLASSIFICATION.</param>
/// <param name="Prompt">The context (CLASSIFICATION: the whole conversation).</param>
/// <param name="Continuation">The scored ids (CONTINUATION); empty for CLASSIFICATION.</param>
public sealed record EffectiveScore(ScoreMode Mode, EncodedPrompt Prompt, IReadOnlyList<int> Continuation);

/// <summary>Validation and defaults of a Score request (contracts.md §4 Score): the prompt encoded as Generate
/// encodes it, a text continuation tokenised without special tokens, and prompt plus continuation within the
/// context (never truncated).</summary>
public static class ScoreRequests
{
    /// <summary>The request with every default decided.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming every bad field, or PROMPT_TOO_LONG.</exception>
    public static EffectiveScore Prepare(ScoreRequest request, ModelText text)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(text);
        var mode = request.Mode == ScoreMode.Classification ? ScoreMode.Classification : ScoreMode.Continuation;
        var problems = new FieldProblems();
        if (request.Prompt is null || request.Prompt.FormCase == Prompt.FormOneofCase.None)
        {
            problems.Missing("prompt", "the prompt is empty: set chat, text or tokens");
        }
        var continuation = request.Continuation?.FormCase ?? Continuation.FormOneofCase.None;
        if (mode == ScoreMode.Classification && continuation != Continuation.FormOneofCase.None)
        {
            problems.Invalid("continuation", "continuation must be unset for SCORE_MODE_CLASSIFICATION: the prompt is the whole conversation");
        }
        if (mode == ScoreMode.Continuation && continuation == Continuation.FormOneofCase.None)
        {
            problems.Missing("continuation", "SCORE_MODE_CONTINUATION needs a continuation (text or tokens)");
        }
        problems.ThrowIfAny();

        var prompt = request.Prompt!;
        if (mode == ScoreMode.Classification && prompt.FormCase == Prompt.FormOneofCase.Chat && prompt.Chat.AddGenerationPrompt is null)
        {
            // The contract scores the conversation as it stands: no assistant turn is opened unless asked.
            prompt = prompt.Clone();
            prompt.Chat.AddGenerationPrompt = false;
        }
        var encoded = PromptEncoder.Encode(text, request.Model, prompt, new PromptSettings(request.InputSettings?.Bos ?? BosMode.Single), "prompt");
        var ids = continuation switch
        {
            Continuation.FormOneofCase.Text => text.Tokenizer.Encode(request.Continuation!.Text, addSpecialTokens: false),
            Continuation.FormOneofCase.Tokens => CheckedIds(text, request.Model, request.Continuation!.Tokens.Ids, "continuation.tokens.ids"),
            _ => [],
        };
        if (mode == ScoreMode.Continuation && ids.Length == 0)
        {
            problems.Missing("continuation", "the continuation encodes to no tokens; there is nothing to score");
            problems.ThrowIfAny();
        }
        ContextFit.Room(text, encoded.TokenIds.Count + ids.Length, request.Model, "prompt");
        return new EffectiveScore(mode, encoded, ids);
    }

    private static int[] CheckedIds(ModelText text, string model, IReadOnlyList<int> ids, string field)
    {
        for (var j = 0; j < ids.Count; j++)
        {
            if (!text.IsValidId(ids[j]))
            {
                throw TextErrors.BadTokenId(model, $"{field}[{j}]", ids[j], text);
            }
        }
        return [.. ids];
    }
}
