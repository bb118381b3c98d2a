using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// single_model (methods-logit-weight.md §10): the baseline every method is compared with — model_names[0] answers
/// every test item once with the config's keys (own defaults 100 tokens, batch 8), the outputs are scored on test.
/// In reference mode the raw text is kept (the reference's own loop does not strip `&lt;/think&gt;`).
/// </summary>
public sealed class SingleModelMethod : ICollaborationMethod
{
    /// <summary>Phase of the test generations.</summary>
    public const string GeneratePhase = "test · generate";

    /// <inheritdoc/>
    public string Id => "single_model";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var model = context.Config.ModelNames[0];
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(GeneratePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var settings = new GenerationSettings(KeepThink: context.Config.Compat == CompatMode.Reference);
        var outputs = await SoloAnswers.GenerateAsync(context.Generation, model, context.Site(GeneratePhase, "model/0"), test, settings, cancellationToken)
            .ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(GeneratePhase, null, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, outputs, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(context.Config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, new JsonObject()) { Baselines = [new ModelBaseline(model, scored.Scores.Mean)] };
    }
}
