using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Router.Store;
using MoCo.Router.Switching;

namespace MoCo.Router.Service;

/// <summary>
/// Complete for api_switch_generation (methods-api.md §3, §0.11 "patch loop"): the runs' <see cref="SwitchGeneration"/>
/// over the router's models, R = ⌊max_response_length / patch_size⌋ rounds with the selector choosing each patch's
/// author, every draw keyed on the input's item key (<see cref="RouterItems"/>) as a run keys its test item. The
/// selector is a stored router's (a run's given or trained selector) or the request's selector_model_name. Each input
/// runs on its own, items streaming as they finish, with the run's item extras (segment_model_index), the authors in
/// first-use order and every call's usage.
/// </summary>
public sealed class SwitchCompletion(IRouterModels models, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);
    private readonly IRouterModels _models = models;

    /// <summary>The patch loop over <paramref name="inputs"/>; <paramref name="router"/> null = the request names its selector.</summary>
    public IAsyncEnumerable<CompletedItem> CompleteAsync(RouterContext context, StoredRouter? router, IReadOnlyList<RouteInput> inputs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        var settings = RouterSettings.Switch(context, router?.Payload);
        var switcher = new SwitchGeneration(context.ModelNames.Count, context.Seed, settings.PatchSize, settings.Objective, settings.Wait);
        return CompletedItems.AsFinished(inputs.Select(async input =>
        {
            var state = new SwitchState(RouterItems.Key(input), input.Prompt);
            var generation = new ServedSwitchModels(_calls, context, new ServedSeeds(_models, context), ApiCallSites.SwitchPhase);
            await switcher.RoundsAsync(generation, [state], 0, settings.Rounds, settings.Rounds, settings.Selector, SwitchGeneration.TestPurpose, objectiveOn: true,
                cancellationToken).ConfigureAwait(false);
            var item = new CompletedItem
            {
                Index = input.Index,
                Output = state.Output,
                Extras = new Struct { Fields = { ["segment_model_index"] = Value.ForList([.. state.Authors.Select(a => Value.ForNumber(a))]) } },
                Usage = generation.Usage,
            };
            item.ModelsUsed.AddRange(state.Authors.Distinct());
            return item;
        }));
    }
}
