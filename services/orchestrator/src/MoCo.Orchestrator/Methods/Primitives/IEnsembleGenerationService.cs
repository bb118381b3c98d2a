namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>GenerateBatch for an ensemble (logit methods, methods-logit-weight.md §3–4): the same call keys, derived
/// seeds, ledger and replay as <see cref="IGenerationService"/>, one GenerateEnsemble call per request. Only
/// max_new_tokens and temperature of the settings apply (L5).</summary>
public interface IEnsembleGenerationService
{
    /// <summary>Decodes every request with <paramref name="ensemble"/>.</summary>
    Task<IReadOnlyList<GenerationResult>> GenerateEnsembleBatchAsync(EnsembleSpec ensemble, IReadOnlyList<GenerationRequest> requests,
        CancellationToken cancellationToken);
}
