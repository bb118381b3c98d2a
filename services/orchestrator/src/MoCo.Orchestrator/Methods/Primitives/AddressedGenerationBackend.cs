using MoCo.Orchestrator.Engine;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>A generation backend that sends each call to the model's address (<see cref="ModelAddresses"/>) while
/// everything above it — call keys, the ledger, logs — keeps the name the config wrote.</summary>
public sealed class AddressedGenerationBackend(IGenerationBackend inner, ModelAddresses addresses) : IGenerationBackend, IEnsembleBackend
{
    /// <inheritdoc/>
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) =>
        inner.FingerprintAsync(addresses.Of(model), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken) =>
        inner.GenerateAsync(call with { Model = addresses.Of(call.Model) }, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The inner backend cannot decode ensembles.</exception>
    public Task<IReadOnlyList<GeneratedSample>> GenerateEnsembleAsync(EnsembleCall call, CancellationToken cancellationToken) =>
        (inner as IEnsembleBackend ?? throw new NotSupportedException("this generation backend cannot decode ensembles"))
            .GenerateEnsembleAsync(call with { Spec = call.Spec with { Members = [.. call.Spec.Members.Select(addresses.Of)] } }, cancellationToken);
}
