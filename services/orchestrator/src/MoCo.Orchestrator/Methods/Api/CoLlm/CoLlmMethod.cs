using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Decoding;

namespace MoCo.Orchestrator.Methods.Api.CoLlm;

/// <summary>
/// api_collm (methods-api.md §8): the generator learns a `&lt;|defer|&gt;` entry whose sigmoid hands the next token to the
/// mentor (<see cref="CoLlmTraining"/>), then each test item is decoded greedily with deferral
/// (<see cref="CoLlmDecoding"/>), items concurrently on the inference service's batching loop. Fixes over the
/// reference: training is keyed by its inputs (generator, mentor, the scored rows, max_sequence_length), not skipped
/// whenever an old checkpoint folder exists; a generator whose tokenizer lacks the entry fails instead of deferring on
/// the last id; decoding keeps KV caches instead of recomputing both full sequences every token. The outputs are the
/// checkpoint of `test · collm`, so a resumed run decodes nothing again.
/// </summary>
public sealed class CoLlmMethod : ICollaborationMethod
{
    /// <summary>Phase of the test decoding.</summary>
    public const string TestPhase = "test · collm";

    // Items decoded at once: each is one Decode stream whose steps the service batches with the others'.
    private const int Concurrency = 16;

    /// <inheritdoc/>
    public string Id => "api_collm";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var (generator, mentor) = (config.ModelNames[0], config.ModelNames[1]);
        var decoding = context.Decoding ?? throw new InvalidOperationException(
            "api_collm decodes token by token with inference Decode, and this run's services cannot decode: run it against an inference service");
        var sideFolder = Path.Combine(context.ArtifactDirectory, "co-llm", $"{generator}-{mentor}");
        var rows = await CoLlmTrainingData.LoadAsync(context, cancellationToken).ConfigureAwait(false);
        var trained = await CoLlmTraining.TrainAsync(context, rows, sideFolder, cancellationToken).ConfigureAwait(false);
        var deferId = await CoLlmDeferralData.DeferIdAsync(decoding, trained.ModelId, cancellationToken).ConfigureAwait(false);
        // The trained generator is the run's router: the router service's Complete serves it by this id after the run.
        var router = ApiRouters.Save(context, new JsonObject { ["kind"] = "collm", ["generator"] = trained.ModelId, ["defer_id"] = deferId }, trained.ModelId);
        if (context.Merges is { } merges)
        {
            await merges.PersistAsync(trained.ModelId, context.ArtifactName($"co-llm/{generator}-{mentor}/model_checkpoints_final"), cancellationToken).ConfigureAwait(false);
        }

        var maxTokens = (int)hyper.Int(GeneralKeys.MaxResponseLength);
        var threshold = hyper.Number("deferral_threshold");
        var strategy = hyper.String("deferral_strategy")!;
        // The trained generator's tokenizer is the original plus the entry, so the mentor's (shared) vocabulary is every
        // id below it.
        var settings = new CoLlmSettings(trained.ModelId, mentor, deferId, deferId,
            new CoLlmThresholds(threshold, hyper.String("threshold_warmup_schedule")!, (int)hyper.Int("threshold_warmup_steps"), maxTokens), strategy == "compose", maxTokens);
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<CoLlmText> texts;
        if (await context.Recorder.BeginPhaseAsync(TestPhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false) is JsonArray done)
        {
            texts = [.. done.Select(d => new CoLlmText((string)d!["text"]!, [], (int)d["deferred"]!, (int)d["mentor_steps"]!, (string?)d["error"]))];
        }
        else
        {
            texts = await DecodeAsync(context, decoding, settings, test, cancellationToken).ConfigureAwait(false);
            await context.Recorder.EndPhaseAsync(TestPhase, new JsonArray([.. texts.Select(t => (JsonNode)new JsonObject
            {
                ["text"] = t.Text,
                ["deferred"] = t.Deferred,
                ["mentor_steps"] = t.MentorSteps,
                ["error"] = t.Error,
            })]), cancellationToken).ConfigureAwait(false);
        }

        var results = texts.Select(t => new GenerationResult([t.Text], [t.Error is null ? "stop" : "error"], new CallUsage(0, 0, TimeSpan.Zero), t.Error)).ToList();
        var scored = await ApiAnswers.ScoreAsync(context, test, results, _ => [], k => new JsonObject
        {
            ["deferred_tokens"] = texts[k].Deferred,
            ["mentor_steps"] = texts[k].MentorSteps,
        }, cancellationToken).ConfigureAwait(false);
        var summary = Logs.ReferenceSummary.Head(config);
        summary["split"] = "test";
        summary["model_base"] = context.ArtifactName($"co-llm/{generator}-{mentor}/model_checkpoints_final");
        summary["model_ref"] = mentor;
        summary["deferral_threshold"] = threshold;
        summary["deferral_strategy"] = strategy;
        summary["avg_score"] = Logs.ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        var details = new JsonObject
        {
            ["trained_generator"] = trained.ModelId,
            ["router_id"] = router.RouterId,
            ["training_rows"] = rows.Count,
            ["deferred_tokens"] = texts.Sum(t => t.Deferred),
            ["mentor_steps"] = texts.Sum(t => t.MentorSteps),
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    private static Task<IReadOnlyList<CoLlmText>> DecodeAsync(MethodContext context, IDecodeBackend decoding, CoLlmSettings settings, TaskSplit test,
        CancellationToken cancellationToken) =>
        DecodedItems.EachAsync(context, TestPhase, test, Concurrency, async (item, key) =>
        {
            var prompt = await decoding.TokenizeChatAsync(settings.Generator, CoLlmDecoding.Prompt(item.Prompt), generationPrompt: true, cancellationToken)
                .ConfigureAwait(false);
            return await CoLlmDecoding.RunAsync(decoding, settings, prompt.Ids, key, cancellationToken).ConfigureAwait(false);
        }, error => new CoLlmText("", [], 0, 0, error), cancellationToken);
}
