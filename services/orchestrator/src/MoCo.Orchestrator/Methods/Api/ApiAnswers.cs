using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>The last step of an API method: the final outputs scored raw in `test · score`, stored as the run's test
/// items with the method's per-item keys and details in extras, and turned into the reference log's entries
/// {input, (the method's keys), output, score} — routers write their choice between input and output, as the
/// reference does.</summary>
public static class ApiAnswers
{
    /// <summary>Scores and records <paramref name="outputs"/>; <paramref name="logKeys"/>(k) are item k's reference log
    /// keys (also stored in extras), <paramref name="details"/>(k) its MoCo.NET-only extras (null = none).</summary>
    public static async Task<ScoredAnswers> ScoreAsync(MethodContext context, TaskSplit test, IReadOnlyList<GenerationResult> outputs,
        Func<int, JsonObject> logKeys, Func<int, JsonObject>? details, CancellationToken cancellationToken)
    {
        await context.Recorder.BeginPhaseAsync(FinalAnswers.ScorePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var scores = await context.Evaluation.ScoreAsync(test, [.. outputs.Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var k = 0; k < test.Items.Count; k++)
        {
            var item = test.Items[k];
            var keys = logKeys(k);
            var extras = (JsonObject)keys.DeepClone();
            foreach (var (key, value) in details?.Invoke(k) ?? [])
            {
                extras[key] = value?.DeepClone();
            }
            if (outputs[k].Error is { } error)
            {
                extras["error"] = error;
            }
            await context.Recorder.ItemFinishedAsync(new FinishedItem("test", test.Name, item.Index, item.Id, item.Prompt, outputs[k].Texts[0],
                scores.Items[k].Parsed, scores.Items[k].Score, extras), cancellationToken).ConfigureAwait(false);
            var entry = new JsonObject { ["input"] = item.Prompt };
            foreach (var (key, value) in keys)
            {
                entry[key] = value?.DeepClone();
            }
            entry["output"] = outputs[k].Texts[0];
            entry["score"] = scores.Items[k].Score is { } s ? ReferenceSummary.Score(s) : null;
            logs.Add(entry);
        }
        context.Recorder.Progress(FinalAnswers.ScorePhase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(FinalAnswers.ScorePhase, null, cancellationToken).ConfigureAwait(false);
        return new ScoredAnswers(scores, logs);
    }
}
