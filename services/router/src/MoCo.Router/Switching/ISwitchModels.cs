namespace MoCo.Router.Switching;

/// <summary>One SwitchGen generation: the state's call-key item and its prompt (a `&lt;begin&gt;` splits off an assistant
/// prefill).</summary>
public sealed record SwitchCall(string ItemKey, string Prompt);

/// <summary>The generations SwitchGen asks for, batched per round: a run's cached, resumable generation service in the
/// orchestrator, the router's models (<see cref="Service.RouterCalls"/>) in the router service. Each call is keyed by
/// its item and round, so an implementation may batch or split them freely.</summary>
public interface ISwitchModels
{
    /// <summary>StdGen of model_names[<paramref name="model"/>] on each call with <paramref name="patchSize"/> new
    /// tokens, for round <paramref name="round"/>; the texts in call order.</summary>
    Task<IReadOnlyList<string>> PatchesAsync(int model, IReadOnlyList<SwitchCall> calls, int round, int patchSize, CancellationToken cancellationToken);

    /// <summary>StdGen of <paramref name="selector"/> on each call with the full budget, for round
    /// <paramref name="round"/>; the texts in call order.</summary>
    Task<IReadOnlyList<string>> SelectAsync(string selector, IReadOnlyList<SwitchCall> calls, int round, CancellationToken cancellationToken);
}
