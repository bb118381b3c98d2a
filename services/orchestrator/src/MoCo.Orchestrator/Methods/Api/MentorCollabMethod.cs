using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Decoding;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_mentor_collab (methods-api.md §7): each test item decoded by [generator, mentor] over Decode
/// (<see cref="MentorCollab"/>), items concurrently up to `batch_size`; the outputs are the checkpoint of
/// `test · mentor`, so a resumed run does not decode them again. Mode "train" judges with the generator's MLP from the
/// judge registry of the artifacts folder (<see cref="MentorMlpRegistry"/>, `&lt;MOCO_ARTIFACTS_DIR&gt;/mentor_mlp/`); a
/// generator without one fails the run before decoding, naming the file and how to convert the published judge.
/// </summary>
public sealed class MentorCollabMethod : ICollaborationMethod
{
    /// <summary>Phase of the test decoding.</summary>
    public const string TestPhase = "test · mentor";

    /// <inheritdoc/>
    public string Id => "api_mentor_collab";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var judge = hyper.String("mode") == "train"
            ? MentorMlpRegistry.InArtifacts(context.ArtifactsRoot ?? new MoCo.Hosting.MocoEnvironment().ArtifactsDirectory)
                .Load(config.ModelNames[0], hyper.String("task") ?? "General")
            : null;
        var decoding = context.Decoding ?? throw new InvalidOperationException(
            "api_mentor_collab decodes token by token with inference Decode, and this run's services cannot decode: run it against an inference service");
        var settings = new MentorSettings(config.ModelNames[0], config.ModelNames[1], hyper.Number("decision_proportion"), config.Compat == CompatMode.Reference,
            (int)hyper.Int("patch_size"), (int)hyper.Int(GeneralKeys.MaxResponseLength), judge, hyper.Number("mlp_threshold"));
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<MentorText> texts;
        if (await context.Recorder.BeginPhaseAsync(TestPhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false) is JsonArray done)
        {
            texts = [.. done.Select(d => new MentorText((string)d!["text"]!, (int)d["consultations"]!, (int)d["divergences"]!, (int)d["mentor_patches"]!,
                (string?)d["error"]))];
        }
        else
        {
            texts = await DecodedItems.EachAsync(context, TestPhase, test, (int)hyper.Int(GeneralKeys.BatchSize),
                (item, key) => MentorCollab.RunAsync(decoding, settings, item.Prompt, context.Seed, key, cancellationToken),
                error => new MentorText("", 0, 0, 0, error), cancellationToken).ConfigureAwait(false);
            await context.Recorder.EndPhaseAsync(TestPhase, new JsonArray([.. texts.Select(t => (JsonNode)new JsonObject
            {
                ["text"] = t.Text,
                ["consultations"] = t.Consultations,
                ["divergences"] = t.Divergences,
                ["mentor_patches"] = t.MentorPatches,
                ["error"] = t.Error,
            })]), cancellationToken).ConfigureAwait(false);
        }
        var results = texts.Select(t => new GenerationResult([t.Text], [t.Error is null ? "stop" : "error"], new CallUsage(0, 0, TimeSpan.Zero), t.Error)).ToList();
        var scored = await ApiAnswers.ScoreAsync(context, test, results, _ => [], k => new JsonObject
        {
            ["consultations"] = texts[k].Consultations,
            ["divergences"] = texts[k].Divergences,
            ["mentor_patches"] = texts[k].MentorPatches,
        }, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        var details = new JsonObject
        {
            ["consultations"] = texts.Sum(t => t.Consultations),
            ["divergences"] = texts.Sum(t => t.Divergences),
            ["mentor_patches"] = texts.Sum(t => t.MentorPatches),
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }
}
