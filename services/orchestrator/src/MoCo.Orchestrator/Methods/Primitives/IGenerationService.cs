namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Sampling settings of one generation (methods-text.md §0.4): null = the config's general keys.
/// <paramref name="KeepThink"/> returns the raw text instead of the text after the last `&lt;/think&gt;` (single_model in
/// reference mode, methods-logit-weight.md §2.1). <paramref name="ConfidenceTopK"/> &gt; 0 also returns each sample's
/// confidence over the k largest processed logits per token (api_cascade's ScoredGen, methods-api.md §6).</summary>
public sealed record GenerationSettings(int? MaxNewTokens = null, double? Temperature = null, double? TopP = null, bool KeepThink = false,
    int ConfidenceTopK = 0);

/// <summary>One prompt to generate for: chat messages rendered server-side (single user turn; `Prefill` is the trailing
/// partial assistant message), <paramref name="Samples"/> samples sharing the prefix, and its call-key fields.</summary>
/// <param name="Site">Method, compat, phase, role.</param>
/// <param name="ItemKey">The item (split and index), or a method-defined key for non-item calls.</param>
/// <param name="Index">Round, iteration or other index of the call within its item.</param>
/// <param name="Prompt">User message.</param>
/// <param name="Prefill">Assistant prefill; empty = none.</param>
/// <param name="Samples">Samples (n), each with its own derived seed.</param>
/// <param name="Settings">Sampling overrides.</param>
public sealed record GenerationRequest(CallSite Site, string ItemKey, int Index, string Prompt, string Prefill = "", int Samples = 1,
    GenerationSettings? Settings = null);

/// <summary>Token counts and time of a call, and the inference replica that answered it (the <c>moco-replica</c> of its
/// response, which the gateway stamps on every call it routes; null when none was named, as from one service reached
/// directly). An ensemble decoded over its members' Decode streams names each of their replicas once, comma-separated.</summary>
public sealed record CallUsage(int PromptTokens, int CompletionTokens, TimeSpan Latency, string? Replica = null);

/// <summary>The samples of one request, text after the last `&lt;/think&gt;`, with finish reasons and usage; an item whose
/// prompt alone does not fit the context has <see cref="Error"/> set and empty texts (methods-text.md §0.3).</summary>
public sealed record GenerationResult(IReadOnlyList<string> Texts, IReadOnlyList<string> FinishReasons, CallUsage Usage, string? Error = null)
{
    /// <summary>Per sample the mean over its tokens of the top-k softmax maximum (<see cref="GenerationSettings.ConfidenceTopK"/>);
    /// null when not asked for.</summary>
    public IReadOnlyList<double>? Confidences { get; init; }
}

/// <summary>GenerateBatch (methods-text.md §0.4) over the inference service: all requests of a phase at once,
/// results in request order, each sample's result stored under its call key before it is returned (so a resumed
/// run gets stored results and only missing calls run).</summary>
public interface IGenerationService
{
    /// <summary>Generates for every request on <paramref name="model"/> (a model_names entry or a run-time model id).</summary>
    Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(string model, IReadOnlyList<GenerationRequest> requests,
        CancellationToken cancellationToken);
}
