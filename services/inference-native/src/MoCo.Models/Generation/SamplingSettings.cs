namespace MoCo.Models.Generation;

/// <summary>The sampling values a request sets; null = not set (the contract's wrapper fields).</summary>
public sealed record SamplingOverrides
{
    /// <summary>temperature (0 = greedy).</summary>
    public float? Temperature { get; init; }

    /// <summary>top_p.</summary>
    public float? TopP { get; init; }

    /// <summary>top_k (0 = off).</summary>
    public int? TopK { get; init; }

    /// <summary>min_p (0 = off).</summary>
    public float? MinP { get; init; }

    /// <summary>repetition_penalty.</summary>
    public float? RepetitionPenalty { get; init; }

    /// <summary>do_sample (false = greedy).</summary>
    public bool? DoSample { get; init; }

    /// <summary>max_new_tokens.</summary>
    public int? MaxNewTokens { get; init; }
}

/// <summary>The sampling values a generation runs with, every one decided (contracts.md SamplingParams).</summary>
public sealed record SamplingSettings(
    float Temperature,
    float TopP,
    int TopK,
    float MinP,
    float RepetitionPenalty,
    bool DoSample,
    int MaxNewTokens)
{
    /// <summary>Hugging Face's defaults, which the contract uses where generation_config.json is silent:
    /// temperature 1.0, top_p 1.0, top_k 50, min_p off, repetition_penalty 1.0, do_sample false.</summary>
    public static SamplingSettings ContractDefaults(int maxNewTokens) => new(1.0f, 1.0f, 50, 0f, 1.0f, false, maxNewTokens);

    /// <summary>
    /// Each value from the request when it sets one, else from generation_config.json, else the contract
    /// default. max_new_tokens unset everywhere becomes the room left in the context, and is always shrunk to
    /// fit it.
    /// </summary>
    /// <param name="request">What the request sets.</param>
    /// <param name="config">The model's generation_config.json.</param>
    /// <param name="roomInContext">Context length minus prompt tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">The prompt leaves no room (callers report PROMPT_TOO_LONG before this).</exception>
    public static SamplingSettings Resolve(SamplingOverrides request, GenerationConfig config, int roomInContext)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(roomInContext);
        var defaults = ContractDefaults(roomInContext);
        return new SamplingSettings(
            request.Temperature ?? config.Temperature ?? defaults.Temperature,
            request.TopP ?? config.TopP ?? defaults.TopP,
            request.TopK ?? config.TopK ?? defaults.TopK,
            request.MinP ?? config.MinP ?? defaults.MinP,
            request.RepetitionPenalty ?? config.RepetitionPenalty ?? defaults.RepetitionPenalty,
            request.DoSample ?? config.DoSample ?? defaults.DoSample,
            Math.Min(request.MaxNewTokens ?? config.MaxNewTokens ?? roomInContext, roomInContext));
    }
}
