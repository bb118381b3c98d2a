namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One GenerateEnsemble call: the ensemble, one user turn (rendered with the template member's template) and its prefill,
/// n samples of at most <paramref name="MaxNewTokens"/> tokens sampled at <paramref name="Temperature"/> (L5: no top-p
/// or other processors; 0 = greedy) from <paramref name="Seed"/>.</summary>
public sealed record EnsembleCall(EnsembleSpec Spec, string Prompt, string Prefill, int Samples, int MaxNewTokens, double Temperature, ulong Seed,
    string CallKey);

/// <summary>Lock-step ensemble decoding on the inference service (GenerateEnsemble, contracts.md §4): the members
/// decode one shared sequence, KV-cached, combined by the native logit kernels.</summary>
public interface IEnsembleBackend
{
    /// <summary>Decodes <paramref name="call"/>'s samples.</summary>
    /// <exception cref="PromptTooLongException">The prompt alone does not fit a member's context.</exception>
    Task<IReadOnlyList<GeneratedSample>> GenerateEnsembleAsync(EnsembleCall call, CancellationToken cancellationToken);
}
