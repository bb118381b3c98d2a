using System.Collections.Concurrent;
using MoCo.Contracts.V1;
using MoCo.Hosting.Randomness;

namespace MoCo.Router.Service;

/// <summary>
/// The sampling seeds of one request's served calls: <see cref="CallSeeds.Of"/> of the context's run seed and method,
/// the call's phase and role (<see cref="Routing.ApiCallSites"/>), the model's fingerprint and the item key — the seed
/// the run gave the same call, so with sampling on a served item equals the run's. Each model's fingerprint is asked
/// once per request (a long-lived service must not keep one across a change of the model's files).
/// </summary>
public sealed class ServedSeeds(IRouterModels models, RouterContext context)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _fingerprints = new(StringComparer.Ordinal);

    /// <summary>The seed of <paramref name="model"/>'s call in <paramref name="phase"/> by <paramref name="role"/> for
    /// <paramref name="item"/> and round or sample <paramref name="index"/>.</summary>
    public async Task<ulong> OfAsync(string phase, string role, string model, string item, int index, CancellationToken cancellationToken)
    {
        var fingerprint = await _fingerprints.GetOrAdd(model, m => new Lazy<Task<string>>(() => models.FingerprintAsync(m, cancellationToken))).Value
            .ConfigureAwait(false);
        return CallSeeds.Of(context.Seed, context.Method, phase, role, fingerprint, item, index);
    }
}
