namespace MoCo.Orchestrator.Methods;

/// <summary>
/// One collaboration method (one class per method under Methods/api, text, logit, weight). A run is a deterministic
/// program over the run seed and its calls' results (config-and-cli.md §5.2): the method reads only
/// <see cref="MethodContext"/>, draws randomness only from <see cref="Primitives.SeededRng"/>, makes every model call
/// through the context's services with a call key, and reports items through the recorder as they finish.
/// </summary>
public interface ICollaborationMethod
{
    /// <summary>The config id, e.g. "text_multiagent_refine".</summary>
    string Id { get; }

    /// <summary>Runs the method to its test outputs and scores; the orchestrator writes the logs from the outcome.</summary>
    Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken);
}
