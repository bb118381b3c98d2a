using MoCo.Contracts.V1;
using MoCo.Inference.Text;

namespace MoCo.Inference.Requests;

/// <summary>An Embed call with every default decided.</summary>
/// <param name="Inputs">Each text's ids, special tokens added as asked, cut to <see cref="MaxTokens"/>.</param>
/// <param name="Pooling">MEAN (also for unset or unknown values), LAST or MEAN_PADDED.</param>
/// <param name="PadTo">MEAN_PADDED's padded length.</param>
/// <param name="MaxTokens">Longest input in tokens.</param>
/// <param name="Normalize">L2-normalise each vector.</param>
public sealed record EffectiveEmbed(IReadOnlyList<IReadOnlyList<int>> Inputs, Pooling Pooling, int PadTo, int MaxTokens, bool Normalize);

/// <summary>Validation and defaults of an Embed request (contracts.md §4 Embed): pad_to unset = 512, max_tokens unset
/// = the model's context (and never beyond it), add_special_tokens unset = true; longer inputs are truncated.</summary>
public static class EmbedRequests
{
    /// <summary>MEAN_PADDED's length when pad_to is unset.</summary>
    public const int DefaultPadTo = 512;

    /// <summary>The request with every default decided.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming every bad field.</exception>
    public static EffectiveEmbed Prepare(EmbedRequest request, ModelText text)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(text);
        var problems = new FieldProblems();
        if (request.Texts.Count == 0)
        {
            problems.Missing("texts", "no texts to embed");
        }
        if (request.PadTo is { } pad && pad < 1)
        {
            problems.Invalid("pad_to", $"pad_to must be >= 1, got {pad}");
        }
        if (request.MaxTokens is { } max && max < 1)
        {
            problems.Invalid("max_tokens", $"max_tokens must be >= 1, got {max}");
        }
        problems.ThrowIfAny();

        var pooling = request.Pooling is Pooling.Last or Pooling.MeanPadded ? request.Pooling : Pooling.Mean;
        var padTo = request.PadTo ?? DefaultPadTo;
        var limit = Math.Min(request.MaxTokens ?? int.MaxValue, text.ContextLength > 0 ? text.ContextLength : int.MaxValue);
        // MEAN_PADDED averages exactly pad_to positions, so an input cannot be longer than that.
        if (pooling == Pooling.MeanPadded)
        {
            limit = Math.Min(limit, padTo);
        }
        var addSpecial = request.AddSpecialTokens ?? true;
        var inputs = request.Texts.Select(t => (IReadOnlyList<int>)text.Tokenizer.Encode(t, addSpecial).Take(limit).ToArray()).ToList();
        return new EffectiveEmbed(inputs, pooling, padTo, limit, request.Normalize);
    }
}
