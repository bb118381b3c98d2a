using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Routing;
using MoCo.Router.Switching;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>SwitchGen's generations in a run (<see cref="ISwitchModels"/>): each round's patches batched per author
/// (role `model/{index}`) and selector calls (role `selector`) on the run's generation service under
/// <paramref name="phase"/>, keyed by item and round, so caching and resuming replay them.</summary>
public sealed class RunSwitchModels(MethodContext context, string phase) : ISwitchModels
{
    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> PatchesAsync(int model, IReadOnlyList<SwitchCall> calls, int round, int patchSize, CancellationToken cancellationToken)
    {
        var site = context.Site(phase, ApiCallSites.ModelRole(model));
        var results = await context.Generation.GenerateBatchAsync(context.Config.ModelNames[model],
            [.. calls.Select(c => ChatPrompts.ForPrompt(site, c.ItemKey, round, c.Prompt, new GenerationSettings(MaxNewTokens: patchSize)))], cancellationToken)
            .ConfigureAwait(false);
        return [.. results.Select(r => r.Texts[0])];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> SelectAsync(string selector, IReadOnlyList<SwitchCall> calls, int round, CancellationToken cancellationToken)
    {
        var site = context.Site(phase, ApiCallSites.SelectorRole);
        var results = await context.Generation.GenerateBatchAsync(selector, [.. calls.Select(c => ChatPrompts.ForPrompt(site, c.ItemKey, round, c.Prompt))],
            cancellationToken).ConfigureAwait(false);
        return [.. results.Select(r => r.Texts[0])];
    }
}
