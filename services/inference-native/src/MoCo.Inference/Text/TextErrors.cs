using Grpc.Core;
using MoCo.Hosting.Errors;
using MoCo.Models.ChatTemplates;
using MoCo.Models.Tokenization;

namespace MoCo.Inference.Text;

/// <summary>The gRPC errors (contracts.md §8) for a model's text files and for prompts its template or vocabulary
/// refuses: a missing or malformed file is FAILED_PRECONDITION naming it, a component this build does not implement
/// is UNIMPLEMENTED naming the feature, a request the model cannot take is INVALID_ARGUMENT naming the field.</summary>
public static class TextErrors
{
    /// <summary>The error for an exception thrown while loading a model's text files; null when it is not one of them.</summary>
    public static RpcException? FromLoad(string model, string directory, Exception e) => e switch
    {
        FileNotFoundException => MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{model}' has no tokenizer",
            new Problem("model", "TOKENIZER_MISSING", $"{Path.Combine(directory, "tokenizer.json")} does not exist; only tokenizer.json tokenizers are supported",
                Meta(model, "fix", "save the model's tokenizer.json (and tokenizer_config.json) into its directory, e.g. with tokenizer.save_pretrained"))),
        TokenizerFormatException { IsUnsupportedFeature: true } t => NotImplemented(model, t.Message, t.JsonPath),
        TokenizerFormatException t => Malformed(model, t.Message),
        InvalidDataException d => Malformed(model, d.Message),
        _ => null,
    };

    /// <summary>The error for a chat template failing on the prompt at <paramref name="field"/>.</summary>
    public static RpcException Template(string model, string field, ChatTemplateException e) => e.Kind switch
    {
        ChatTemplateErrorKind.Unsupported => NotImplemented(model, e.Message, e.Feature ?? e.Problem),
        ChatTemplateErrorKind.Raised => MocoErrors.InvalidArgument(new Problem(field, "INVALID_VALUE", e.Message,
            Meta(model, "fix", "change the conversation to one the model's chat template accepts"))),
        _ => MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{model}': its chat template failed",
            new Problem(field, "CHAT_TEMPLATE_FAILED", e.Message, Meta(model, "fix", "fix the template, or send a text prompt rendered by the caller"))),
    };

    /// <summary>INVALID_ARGUMENT BAD_TOKEN_ID for an id outside the model's vocabulary.</summary>
    public static RpcException BadTokenId(string model, string field, int id, ModelText text) =>
        MocoErrors.InvalidArgument(new Problem(field, "BAD_TOKEN_ID",
            $"token id {id} is outside the vocabulary of model '{model}' (ids 0..{Math.Max(text.HeadRows, text.Tokenizer.VocabularySize) - 1})",
            Meta(model, "fix", "send ids produced by this model's tokenizer")));

    private static RpcException Malformed(string model, string message) =>
        MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{model}' cannot be read",
            new Problem("model", "MODEL_MALFORMED", message, Meta(model)));

    private static RpcException NotImplemented(string model, string message, string feature) =>
        MocoErrors.Create(StatusCode.Unimplemented, $"model '{model}' needs a feature this build does not implement",
            new Problem("model", "NOT_IMPLEMENTED", message, new Dictionary<string, string> { ["model"] = model, ["feature"] = feature }));

    private static Dictionary<string, string> Meta(string model, string? key = null, string? value = null)
    {
        var meta = new Dictionary<string, string> { ["model"] = model };
        if (key is not null && value is not null)
        {
            meta[key] = value;
        }
        return meta;
    }
}
