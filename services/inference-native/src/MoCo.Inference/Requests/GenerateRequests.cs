using MoCo.Contracts.V1;
using MoCo.Inference.Text;

namespace MoCo.Inference.Requests;

/// <summary>Validation and defaults of a Generate request (contracts.md §2, §4): every field problem reported at
/// once, then the prompt encoded (<see cref="PromptEncoder"/>), the model's generation_config.json merged under the
/// request, max_new_tokens fitted to the context and the stop set resolved.</summary>
public static class GenerateRequests
{
    /// <summary>The request with every default decided.</summary>
    /// <param name="request">The call.</param>
    /// <param name="text">The model's text component.</param>
    /// <param name="limits">Server limits.</param>
    /// <param name="drawSeed">Draws a seed when the request sets none.</param>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming every bad field, or PROMPT_TOO_LONG; the prompt's errors.</exception>
    public static EffectiveGenerate Prepare(GenerateRequest request, ModelText text, RequestLimits limits, Func<ulong> drawSeed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(drawSeed);
        var problems = new FieldProblems();
        if (request.Prompt is null || request.Prompt.FormCase == Prompt.FormOneofCase.None)
        {
            problems.Missing("prompt", "the prompt is empty: set chat, text or tokens");
        }
        if (request.N < 0 || request.N > limits.MaxSamples)
        {
            problems.Invalid("n", $"n must be in [0, {limits.MaxSamples}] (0 = 1), got {request.N}");
        }
        SamplingValidation.Check(request.Sampling, "sampling", problems);
        StopConditions.Check(request.InputSettings, text, limits, "input_settings", problems);
        LogprobSettings.Check(request.Logprobs, limits, "logprobs", problems);
        problems.ThrowIfAny();

        var prompt = PromptEncoder.Encode(text, request.Model, request.Prompt!, new PromptSettings(request.InputSettings?.Bos ?? BosMode.Single), "prompt");
        if (prompt.TokenIds.Count == 0)
        {
            problems.Missing("prompt", "the prompt encodes to no tokens; a generation needs at least one");
            problems.ThrowIfAny();
        }
        return new EffectiveGenerate(
            prompt,
            ContextFit.Sampling(SamplingValidation.Overrides(request.Sampling), text, prompt.TokenIds.Count, request.Model, "prompt"),
            StopConditions.Resolve(request.InputSettings, text),
            Math.Max(request.N, 1),
            request.Seed ?? drawSeed(),
            LogprobSettings.Resolve(request.Logprobs),
            request.CallKey);
    }
}
