namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One Generate call as the backend sees it: a single user turn (plus prefill), n samples drawn from
/// <paramref name="Seed"/>, the sampling settings resolved, and the call key for tracing; <paramref name="ConfidenceTopK"/>
/// &gt; 0 asks for each sample's confidence (<see cref="GenerationSettings.ConfidenceTopK"/>).</summary>
public sealed record GenerationCall(string Model, string Prompt, string Prefill, int Samples, int MaxNewTokens, double Temperature, double TopP,
    ulong Seed, string CallKey, int ConfidenceTopK = 0);

/// <summary>One generated sample: raw text (nothing stripped), finish reason, usage, and its confidence when the call
/// asked for one.</summary>
public sealed record GeneratedSample(string Text, string FinishReason, CallUsage Usage, double? Confidence = null);

/// <summary>The model-serving side of <see cref="CachedGenerationService"/>: the inference service's Generate in
/// production (<see cref="Grpc.GrpcGenerationBackend"/>). Keys, seeds, caching and concurrency stay in the service,
/// so every backend gets the same replay behaviour.</summary>
public interface IGenerationBackend
{
    /// <summary>The model's fingerprint for call keys (config-and-cli.md §5.2).</summary>
    Task<string> FingerprintAsync(string model, CancellationToken cancellationToken);

    /// <summary>Runs one call; every sample in sample order.</summary>
    /// <exception cref="PromptTooLongException">The prompt alone does not fit the model's context.</exception>
    Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken);
}

/// <summary>The prompt alone does not fit the context (methods-text.md §0.3): that item fails, the run goes on.</summary>
public sealed class PromptTooLongException(string message) : Exception(message);
