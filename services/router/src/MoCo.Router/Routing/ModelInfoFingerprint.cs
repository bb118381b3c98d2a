using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;

namespace MoCo.Router.Routing;

/// <summary>A model's identity in call keys and seeds (config-and-cli.md §5.2): the fingerprint of its files as the
/// inference service's ModelInfo reports it. Runs seed their calls with it and the router service its served calls, so
/// both ask for it here.</summary>
public static class ModelInfoFingerprint
{
    /// <summary>The fingerprint of <paramref name="model"/>; a model without one (none today) falls back to its id,
    /// which is still unique per content.</summary>
    public static async Task<string> OfAsync(InferenceService.InferenceServiceClient client, string model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var info = await client.ModelInfoAsync(new ModelInfoRequest { Model = model }, RoutingHeaders.For(model), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return info.Summary?.Fingerprint is { Length: > 0 } fingerprint ? fingerprint : info.Summary?.Id ?? model;
    }
}
