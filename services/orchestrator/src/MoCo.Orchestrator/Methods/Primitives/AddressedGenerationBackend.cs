using MoCo.Orchestrator.Engine;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>A generation backend that sends each call to the model's address (<see cref="ModelAddresses"/>) while
/// everything above it — call keys, the ledger, logs — keeps the name the config wrote.</summary>
public sealed class AddressedGenerationBackend(IGenerationBackend inner, ModelAddresses addresses) : IGenerationBackend
{
    /// <inheritdoc/>
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) =>
        inner.FingerprintAsync(addresses.Of(model), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken) =>
        inner.GenerateAsync(call with { Model = addresses.Of(call.Model) }, cancellationToken);
}
