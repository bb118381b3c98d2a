using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Logit;

/// <summary>
/// The test pass both logit methods share (methods-logit-weight.md §3 steps 2–4, §4 step 3): every test item decoded
/// once by the ensemble — prompts rendered with model_names[0]'s chat template, each sequence at its own length,
/// KV-cached, fused in native code (GenerateEnsemble), or over Decode streams fused by the orchestrator with the same
/// kernels and draws when the members live on different replicas — then scored, recorded and summarised in the §3.2
/// shape.
/// </summary>
internal static class EnsembleDecoding
{
    public const string GeneratePhase = "test · decode";

    public static async Task<MethodOutcome> RunTestAsync(MethodContext context, EnsembleSpec ensemble, JsonObject details, CancellationToken cancellationToken)
    {
        var ensembles = context.Ensembles
            ?? throw new InvalidOperationException("the run's inference backend cannot decode ensembles (GenerateEnsemble); run against the inference service");
        var config = context.Config;
        if (config.Compat == CompatMode.Reference)
        {
            // The reference left-pads every prompt to the test set's longest with attended EOS tokens; MoCo.NET decodes
            // each sequence at its own length in both modes, so reference-mode outputs can differ from the paper's.
            context.Recorder.Warn("compat reference: the reference's shared EOS left-padding of logit-method prompts is not reproduced; each prompt decodes at its own length");
        }
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(GeneratePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var site = context.Site(GeneratePhase, "ensemble");
        var settings = new GenerationSettings(KeepThink: config.Compat == CompatMode.Reference);
        var outputs = await ensembles.GenerateEnsembleBatchAsync(ensemble, [.. test.Items.Select(item => ChatPrompts.ForItem(site, test, item, settings))],
            cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(GeneratePhase, null, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, outputs, cancellationToken).ConfigureAwait(false);
        return new MethodOutcome(ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs), scored.Scores.Mean,
            test.Items.Count, details);
    }
}
