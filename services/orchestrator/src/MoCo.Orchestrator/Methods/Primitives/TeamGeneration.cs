namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// One step of a multi-model method as one progress phase (methods-text.md §0.4): model i generates its own requests —
/// typically one per test item — in one GenerateBatch, all models concurrently; a model with no request sits the step
/// out at no cost. Each request's call key (site, item, index) makes the step replay from the store on resume.
/// </summary>
public static class TeamGeneration
{
    /// <summary>Runs <paramref name="requests"/> (index = model index into model_names) as phase <paramref name="phase"/>
    /// (unit calls); results per model in request order.</summary>
    public static Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> PhaseAsync(MethodContext context, string phase,
        IReadOnlyList<IReadOnlyList<GenerationRequest>> requests, CancellationToken cancellationToken) =>
        PhaseAsync(context, phase, context.Config.ModelNames, requests, cancellationToken);

    /// <summary>As the phase over model_names, with requests[i] served by <paramref name="models"/>[i] — the run-time ids
    /// that replace the configured models in methods that train them (a trained copy, or the name while untrained).</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> PhaseAsync(MethodContext context, string phase, IReadOnlyList<string> models,
        IReadOnlyList<IReadOnlyList<GenerationRequest>> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(requests);
        if (models.Count != requests.Count)
        {
            throw new ArgumentException($"{requests.Count} request lists for {models.Count} models", nameof(requests));
        }
        await context.Recorder.BeginPhaseAsync(phase, "calls", requests.Sum(r => r.Count), cancellationToken).ConfigureAwait(false);
        var results = await Task.WhenAll(requests.Select((batch, i) => context.Generation.GenerateBatchAsync(models[i], batch, cancellationToken))).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(phase, null, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>One step inside a phase the caller runs (several steps per phase): model i generates
    /// <paramref name="requests"/>[i] in one GenerateBatch, all models concurrently; results per model in request order.</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> GenerateAsync(MethodContext context,
        IReadOnlyList<IReadOnlyList<GenerationRequest>> requests, CancellationToken cancellationToken) =>
        await Task.WhenAll(requests.Select((batch, i) =>
            context.Generation.GenerateBatchAsync(context.Config.ModelNames[i], batch, cancellationToken))).ConfigureAwait(false);

    /// <summary>Only model <paramref name="model"/> generates, as phase <paramref name="phase"/> (a summarizer, a generator).</summary>
    public static async Task<IReadOnlyList<GenerationResult>> OneModelPhaseAsync(MethodContext context, string phase, int model,
        IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        var results = await PhaseAsync(context, phase, [.. context.Config.ModelNames.Select((_, i) => i == model ? requests : [])], cancellationToken)
            .ConfigureAwait(false);
        return results[model];
    }

    /// <summary>Every model answers every item of <paramref name="split"/> with its formatted prompt and the general keys
    /// (the independent first round of the debate methods), call index <paramref name="index"/>.</summary>
    public static Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> SoloPhaseAsync(MethodContext context, string phase, TaskSplit split, int index,
        CancellationToken cancellationToken) =>
        PhaseAsync(context, phase, [.. context.Config.ModelNames.Select((_, i) => (IReadOnlyList<GenerationRequest>)
            [.. split.Items.Select(item => ChatPrompts.ForItem(context.Site(phase, $"model/{i}"), split, item, index: index))])], cancellationToken);

    /// <summary>The texts of <paramref name="results"/>, one per request (first sample).</summary>
    public static IReadOnlyList<string> Texts(IReadOnlyList<GenerationResult> results) => [.. results.Select(r => r.Texts[0])];
}
