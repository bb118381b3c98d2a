using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Routing;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>A run's dev profile: the dev split, every model's own answers (index = model) and S[m][j].</summary>
public sealed record DevRun(TaskSplit Dev, IReadOnlyList<IReadOnlyList<GenerationResult>> Outputs, DevProfile Profile);

/// <summary>
/// DevProfile (methods-api.md §0.3) inside a run: StdGen of every model on every dev input (phase `dev · generate`,
/// call keys, so a resumed run replays stored generations), each model's answers scored and stored as the items of
/// `dev · model {m}`, and S as the checkpoint of `dev · score` — a resumed run reads S back without scoring again.
/// </summary>
public static class DevProfiles
{
    /// <summary>Phase of the dev generations.</summary>
    public const string GeneratePhase = MoCo.Router.Routing.ApiCallSites.DevGeneratePhase;

    /// <summary>Phase of the dev scoring; its checkpoint is S.</summary>
    public const string ScorePhase = "dev · score";

    /// <summary>The dev profile of every model of the config.</summary>
    public static async Task<DevRun> ProfileAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        var models = context.Config.ModelNames;
        var outputs = await SoloAnswers.EveryModelAsync(context, GeneratePhase, dev, null, cancellationToken).ConfigureAwait(false);
        if (await context.Recorder.BeginPhaseAsync(ScorePhase, "models", models.Count, cancellationToken).ConfigureAwait(false) is JsonArray stored)
        {
            return new DevRun(dev, outputs, new DevProfile([.. stored.Select(row => (IReadOnlyList<double>)[.. row!.AsArray().Select(Read)])]));
        }
        var scores = new List<IReadOnlyList<double>>();
        for (var m = 0; m < models.Count; m++)
        {
            var split = await context.Evaluation.ScoreAsync(dev, [.. outputs[m].Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            await SoloAnswers.RecordAsync(context.Recorder, BestOnDev.ItemsPhase(m), models[m], dev, outputs[m], split, cancellationToken).ConfigureAwait(false);
            scores.Add([.. split.Items.Select(i => i.Score ?? double.NaN)]);
            context.Recorder.Progress(ScorePhase, m + 1, models[m]);
        }
        var checkpoint = new JsonArray([.. scores.Select(row => (JsonNode)new JsonArray([.. row.Select(Write)]))]);
        await context.Recorder.EndPhaseAsync(ScorePhase, checkpoint, cancellationToken).ConfigureAwait(false);
        return new DevRun(dev, outputs, new DevProfile(scores));
    }

    // JSON has no NaN: an unscorable item is stored as null.
    private static JsonNode? Write(double score) => double.IsNaN(score) ? null : JsonValue.Create(score);

    private static double Read(JsonNode? node) => node is null ? double.NaN : (double)node;
}
