using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>What every weight method does with the model it made: the merge service it needs, and the test pass — the
/// model answers every test item once with the general keys, raw outputs scored and recorded (§2.1 standard path).</summary>
internal static class FinalModel
{
    /// <summary>Phase of the test generations.</summary>
    public const string TestPhase = "test · generate";

    /// <summary>The run's merge service.</summary>
    /// <exception cref="InvalidOperationException">The run's services cannot merge.</exception>
    public static IMergeService Merges(MethodContext context) =>
        context.Merges ?? throw new InvalidOperationException("the run's inference backend cannot merge models (Merge); run against the inference service");

    /// <summary>Model <paramref name="model"/> (a name or run-time id) answers the test split; scored and recorded.</summary>
    public static Task<(TaskSplit Test, ScoredAnswers Scored)> AnswerTestAsync(MethodContext context, string model, CancellationToken cancellationToken) =>
        AnswerTestAsync(context, model, null, cancellationToken);

    /// <summary>As <see cref="AnswerTestAsync(MethodContext, string, CancellationToken)"/> with sampling
    /// <paramref name="settings"/> (null = the general keys).</summary>
    public static async Task<(TaskSplit Test, ScoredAnswers Scored)> AnswerTestAsync(MethodContext context, string model, GenerationSettings? settings,
        CancellationToken cancellationToken)
    {
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(TestPhase, "calls", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var outputs = await SoloAnswers.GenerateAsync(context.Generation, model, context.Site(TestPhase, "final_model"), test, settings, cancellationToken)
            .ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(TestPhase, null, cancellationToken).ConfigureAwait(false);
        return (test, await FinalAnswers.ScoreAsync(context, test, outputs, cancellationToken).ConfigureAwait(false));
    }
}
