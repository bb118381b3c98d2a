using Google.Protobuf;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Requests;

namespace MoCo.Inference.Text;

/// <summary>Tokenize and Detokenize (contracts.md §4): batched, results in request order, each input through the
/// same <see cref="PromptEncoder"/> path Generate uses. Run-time models (merged, trained, written) and adapters answer
/// too: their tokenizer is the one the registry serves them with (a trained deferral model's has its added entry; an
/// adapter without tokenizer files has its base's).</summary>
public sealed class TextCalls(RequestLimits limits, Registry.ModelRegistry registry)
{
    /// <summary>Renders and tokenises every input.</summary>
    /// <exception cref="RpcException">NOT_FOUND, FAILED_PRECONDITION, UNIMPLEMENTED, INVALID_ARGUMENT naming inputs[i], RESOURCE_EXHAUSTED.</exception>
    public TokenizeResponse Tokenize(TokenizeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = registry.Text(request.Model);
        var settings = new PromptSettings(request.InputSettings?.Bos ?? BosMode.Single, request.AddSpecialTokens, request.Offsets);
        var response = new TokenizeResponse();
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var encoded = PromptEncoder.Encode(text, request.Model, request.Inputs[i], settings, $"inputs[{i}]");
            var result = new TokenizedInput { RenderedText = encoded.RenderedText };
            result.TokenIds.Add(encoded.TokenIds);
            result.Offsets.Add(encoded.Offsets?.Select(o => new TokenOffset { Start = o.Start, End = o.End }) ?? []);
            response.Results.Add(result);
        }
        return Fit(response, "Tokenize");
    }

    /// <summary>Decodes every sequence.</summary>
    /// <exception cref="RpcException">NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT BAD_TOKEN_ID naming sequences[i].ids[j], RESOURCE_EXHAUSTED.</exception>
    public DetokenizeResponse Detokenize(DetokenizeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = registry.Text(request.Model);
        var response = new DetokenizeResponse();
        for (var i = 0; i < request.Sequences.Count; i++)
        {
            var ids = request.Sequences[i].Ids;
            for (var j = 0; j < ids.Count; j++)
            {
                if (!text.IsValidId(ids[j]))
                {
                    throw TextErrors.BadTokenId(request.Model, $"sequences[{i}].ids[{j}]", ids[j], text);
                }
            }
            response.Texts.Add(text.Tokenizer.Decode([.. ids], request.SkipSpecialTokens, request.CleanUpSpaces));
        }
        return Fit(response, "Detokenize");
    }

    // A unary reply cannot be split across messages, so a batch whose result exceeds the message size is refused
    // with the fix rather than cut by the transport with a bare error.
    private T Fit<T>(T response, string rpc) where T : IMessage
    {
        var size = response.CalculateSize();
        if (size > limits.MaxMessageBytes)
        {
            throw MocoErrors.Create(StatusCode.ResourceExhausted, $"the {rpc} result is too large",
                new Problem(rpc == "Tokenize" ? "inputs" : "sequences", "MESSAGE_TOO_LARGE",
                    $"the {rpc} result is {size} bytes; messages are limited to {limits.MaxMessageBytes} bytes (contracts.md §0)",
                    new Dictionary<string, string> { ["fix"] = "send the batch in smaller parts" }));
        }
        return response;
    }
}
