using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>StdGen settings of one router call (methods-api.md §0.2): new-token budget, temperature (0 = greedy) and
/// nucleus top_p; <paramref name="ConfidenceTopK"/> &gt; 0 makes it api_cascade's ScoredGen (§6), which also reports the
/// sequence's confidence over the k largest processed logits of each token.</summary>
public sealed record SamplingSettings(int MaxNewTokens, double Temperature, double TopP, int ConfidenceTopK = 0);

/// <summary>One generation: the text after the last `&lt;/think&gt;`, its usage, and its <see cref="Routing.TopConfidence"/>
/// mean when the settings asked for it.</summary>
public sealed record RouterGeneration(string Text, Usage Usage, double? Confidence = null);

/// <summary>The models a router calls: StdGen on the inference service in production, a scripted double in tests.</summary>
public interface IRouterModels
{
    /// <summary>StdGen of <paramref name="model"/> on <paramref name="prompt"/> (a `&lt;begin&gt;` splits off an assistant
    /// prefill) with <paramref name="settings"/>, drawing from <paramref name="seed"/> (<see cref="ServedSeeds"/>).</summary>
    Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey, CancellationToken cancellationToken);

    /// <summary>Embeddings of <paramref name="texts"/> with <paramref name="model"/> as the orchestrator embeds them (mean
    /// pooling, L2-normalised), one vector per text in order.</summary>
    Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken);

    /// <summary>The fingerprint of <paramref name="model"/> that runs seed its calls with (<see cref="Routing.ModelInfoFingerprint"/>).</summary>
    Task<string> FingerprintAsync(string model, CancellationToken cancellationToken);
}
