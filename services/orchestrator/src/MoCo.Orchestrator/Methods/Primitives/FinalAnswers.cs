using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>A method's final outputs scored: per-item scores and the reference log entries {input, output, score}.</summary>
public sealed record ScoredAnswers(SplitScore Scores, JsonArray Logs);

/// <summary>The last step of a method whose answer is one raw generation per test item (methods-text.md §0.7): the
/// outputs are scored raw in phase "test · score", stored as the run's test items (generation errors in extras), and
/// turned into the reference log's standard entries.</summary>
public static class FinalAnswers
{
    /// <summary>Phase of the final scoring.</summary>
    public const string ScorePhase = "test · score";

    /// <summary>Scores and records <paramref name="outputs"/> (one per item of <paramref name="test"/>, in order).</summary>
    public static async Task<ScoredAnswers> ScoreAsync(MethodContext context, TaskSplit test, IReadOnlyList<GenerationResult> outputs,
        CancellationToken cancellationToken)
    {
        await context.Recorder.BeginPhaseAsync(ScorePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var scores = await context.Evaluation.ScoreAsync(test, [.. outputs.Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
        await SoloAnswers.RecordAsync(context.Recorder, "test", null, test, outputs, scores, cancellationToken).ConfigureAwait(false);
        context.Recorder.Progress(ScorePhase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var k = 0; k < test.Items.Count; k++)
        {
            logs.Add(ReferenceSummary.Item(test.Items[k].Prompt, outputs[k].Texts[0], scores.Items[k].Score is { } s ? ReferenceSummary.Score(s) : null));
        }
        return new ScoredAnswers(scores, logs);
    }
}
