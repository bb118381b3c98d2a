using Grpc.Core;
using MoCo.Hosting.Errors;
using MoCo.Inference.Text;
using MoCo.Models.Generation;

namespace MoCo.Inference.Requests;

/// <summary>Fitting a request into the model's context (contracts.md §4 Generate, methods-text.md §0.3): max new
/// tokens shrinks to the room the prompt leaves; only a prompt that alone does not fit is refused (PROMPT_TOO_LONG).</summary>
public static class ContextFit
{
    /// <summary>The sampling in effect: each field from the request, else generation_config.json, else the contract
    /// default, with max_new_tokens at most the room left in the context.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT PROMPT_TOO_LONG; FAILED_PRECONDITION when config.json declares no context.</exception>
    public static SamplingSettings Sampling(SamplingOverrides overrides, ModelText text, int promptTokens, string model, string field)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var room = Room(text, promptTokens, model, field);
        // SamplingSettings wants room for one token; a prompt filling the context exactly still fits and its
        // samples end at once (FINISH_REASON_CONTEXT), so that case gets 0 new tokens.
        var settings = SamplingSettings.Resolve(overrides, text.Generation, Math.Max(room, 1));
        return room == 0 ? settings with { MaxNewTokens = 0 } : settings;
    }

    /// <summary>Checks that <paramref name="tokens"/> fit the context; returns the room left.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT PROMPT_TOO_LONG; FAILED_PRECONDITION when config.json declares no context.</exception>
    public static int Room(ModelText text, int tokens, string model, string field)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.ContextLength <= 0)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{model}' declares no context length",
                new Problem("model", "MODEL_MALFORMED", "config.json has none of max_position_embeddings, n_positions, n_ctx, max_sequence_length, seq_length",
                    new Dictionary<string, string> { ["model"] = model, ["fix"] = "add max_position_embeddings to the model's config.json" }));
        }
        var room = text.ContextLength - tokens;
        if (room < 0)
        {
            throw MocoErrors.InvalidArgument(new Problem(field, "PROMPT_TOO_LONG",
                $"the prompt is {tokens} tokens; model '{model}' has a context of {text.ContextLength}",
                new Dictionary<string, string> { ["model"] = model, ["fix"] = "shorten the prompt" }));
        }
        return room;
    }
}
