using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Switching;

namespace MoCo.Router.Service;

/// <summary>SwitchGen's generations in the router service (<see cref="ISwitchModels"/>): the router's models, each call
/// sampling with the seed a run gives it under <paramref name="phase"/> (role, item, round), the usage summed.</summary>
public sealed class ServedSwitchModels(RouterCalls calls, RouterContext context, ServedSeeds seeds, string phase) : ISwitchModels
{
    private readonly SamplingSettings _settings = RouterSettings.Sampling(context);
    private readonly Lock _lock = new();

    /// <summary>The usage of every call so far.</summary>
    public Usage Usage { get; private set; } = new();

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> PatchesAsync(int model, IReadOnlyList<SwitchCall> batch, int round, int patchSize, CancellationToken cancellationToken) =>
        GenerateAsync(context.ModelNames[model], "patch", ApiCallSites.ModelRole(model), batch, round, _settings with { MaxNewTokens = patchSize }, cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> SelectAsync(string selector, IReadOnlyList<SwitchCall> batch, int round, CancellationToken cancellationToken) =>
        GenerateAsync(selector, "select", ApiCallSites.SelectorRole, batch, round, _settings, cancellationToken);

    private async Task<IReadOnlyList<string>> GenerateAsync(string model, string purpose, string role, IReadOnlyList<SwitchCall> batch, int round,
        SamplingSettings settings, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(batch.Select(async c => await calls.GenerateAsync(context.Method, model, purpose, c.Prompt, settings,
            await seeds.OfAsync(phase, role, model, c.ItemKey, round, cancellationToken).ConfigureAwait(false),
            $"{context.RunId}/{purpose}/{round}/{c.ItemKey}", cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var result in results)
            {
                Usage = RouterCalls.Sum(Usage, result.Usage);
            }
        }
        return [.. results.Select(r => r.Text)];
    }
}
