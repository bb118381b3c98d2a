using MoCo.Inference.Requests;
using MoCo.Models.Tokenization;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Scheduling;

/// <summary>What every sample of one Generate call shares.</summary>
/// <param name="Request">The request with its defaults decided.</param>
/// <param name="Tokenizer">Decodes the output text.</param>
/// <param name="ContextLength">The model's context: a sample ends with CONTEXT when prompt plus output fill it.</param>
/// <param name="Received">Stopwatch timestamp of the call's arrival, for Usage.latency.</param>
internal sealed record GenerateSettings(EffectiveGenerate Request, HfTokenizer Tokenizer, int ContextLength, long Received)
{
    /// <summary>Prompt length in tokens.</summary>
    public int PromptTokens => Request.Prompt.TokenIds.Count;

    /// <summary>The engine's processors. Greedy (do_sample false or temperature 0) keeps only the repetition penalty,
    /// as Hugging Face's greedy search applies no warpers.</summary>
    public SamplingOptions Options { get; } = Request.Greedy
        ? new SamplingOptions(Temperature: 0f, RepetitionPenalty: Request.Sampling.RepetitionPenalty)
        : new SamplingOptions(Request.Sampling.Temperature, Request.Sampling.TopK, Request.Sampling.TopP, Request.Sampling.MinP, Request.Sampling.RepetitionPenalty);
}
