using MoCo.Contracts.V1;
using MoCo.Inference.Text;
using MoCo.Models.Generation;

namespace MoCo.Inference.Requests;

/// <summary>A Generate call with every default decided: what the scheduler runs and the header reports.</summary>
/// <param name="Prompt">The prompt's ids (and rendered text).</param>
/// <param name="Sampling">Sampling in effect; MaxNewTokens already fits the context (0 when the prompt fills it).</param>
/// <param name="Stop">EOS set, stop ids and strings, text options.</param>
/// <param name="Samples">Number of samples (n, 0 = 1).</param>
/// <param name="Seed">L5 draw seed: the request's, or the one drawn for it.</param>
/// <param name="Logprobs">Log-probs to report.</param>
/// <param name="CallKey">The call key, empty = none.</param>
public sealed record EffectiveGenerate(
    EncodedPrompt Prompt,
    SamplingSettings Sampling,
    StopConditions Stop,
    int Samples,
    ulong Seed,
    LogprobSettings Logprobs,
    string CallKey)
{
    /// <summary>True when tokens are chosen by argmax (lowest id on ties): do_sample false or temperature 0.</summary>
    public bool Greedy => !Sampling.DoSample || Sampling.Temperature == 0;

    /// <summary>The stream's first message.</summary>
    public GenerateHeader Header(string modelId) => new()
    {
        ModelId = modelId,
        PromptTokens = Prompt.TokenIds.Count,
        Seed = Seed,
        MaxNewTokens = Sampling.MaxNewTokens,
        Effective = SamplingValidation.ToMessage(Sampling),
    };
}
