using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>StdGen settings of one router call (methods-api.md §0.2): new-token budget, temperature (0 = greedy) and
/// nucleus top_p.</summary>
public sealed record SamplingSettings(int MaxNewTokens, double Temperature, double TopP);

/// <summary>One generation: the text after the last `&lt;/think&gt;`, and its usage.</summary>
public sealed record RouterGeneration(string Text, Usage Usage);

/// <summary>The models a router calls: StdGen on the inference service in production, a scripted double in tests.</summary>
public interface IRouterModels
{
    /// <summary>StdGen of <paramref name="model"/> on <paramref name="prompt"/> (a `&lt;begin&gt;` splits off an assistant
    /// prefill) with <paramref name="settings"/>, drawing from <paramref name="seed"/>.</summary>
    Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey, CancellationToken cancellationToken);

    /// <summary>Embeddings of <paramref name="texts"/> with <paramref name="model"/> as the orchestrator embeds them (mean
    /// pooling, L2-normalised), one vector per text in order.</summary>
    Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken);
}
