using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_knowledge_card (methods-text.md §2): BOD picks the generator g; every model writes a knowledge paragraph for each
/// test question; g answers each question with the paragraphs listed in model order (its own left out with
/// `exclude_self`, and then never requested — the reference generates and discards it); g's raw answers are scored.
/// </summary>
public sealed class KnowledgeCardMethod : ICollaborationMethod
{
    private const string KnowledgePhase = "test · knowledge";
    private const string AnswerPhase = "test · answer";

    /// <inheritdoc/>
    public string Id => "text_knowledge_card";

    /// <summary>The request for knowledge on one question.</summary>
    public static string KnowledgePrompt(string question) =>
        "You are an AI assistant tasked with generating relevant knowledge to help answer the user's question. "
        + "Please provide relevant information that can assist in answering the following question:\n\n"
        + $"Question: {question}\n\nRelevant Knowledge:";

    /// <summary>The generator's prompt: the question and the paragraphs, in model order, as written.</summary>
    public static string AnswerPrompt(string question, IEnumerable<string> paragraphs) =>
        "You are part of a team of AI assistants collaborating to answer the user's question. "
        + "Other assistants have provided the following relevant knowledge to help answer the question:\n\n"
        + $"Question: {question}\n\nRelevant Knowledge from other assistants:\n"
        + CandidateList.Bulleted(paragraphs)
        + "\nPlease provide a comprehensive answer to the question with the help of the above knowledge.";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var n = config.ModelNames.Count;
        var excludeSelf = config.Hyperparameters.Bool("exclude_self");
        var selection = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
        var generator = selection.Best;
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);

        var writers = Enumerable.Range(0, n).Where(i => !(excludeSelf && i == generator)).ToList();
        var knowledge = await TeamGeneration.PhaseAsync(context, KnowledgePhase, [.. Enumerable.Range(0, n).Select(i => writers.Contains(i)
            ? (IReadOnlyList<GenerationRequest>)[.. test.Items.Select(item => ChatPrompts.ForPrompt(context.Site(KnowledgePhase, $"model/{i}"),
                ChatPrompts.ItemKey(test, item), 0, KnowledgePrompt(item.Prompt)))]
            : [])], cancellationToken).ConfigureAwait(false);

        var answerRequests = test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(AnswerPhase, $"model/{generator}"), ChatPrompts.ItemKey(test, item), 0,
            AnswerPrompt(item.Prompt, writers.Select(i => knowledge[i][k].Texts[0])))).ToList();
        var answers = await TeamGeneration.OneModelPhaseAsync(context, AnswerPhase, generator, answerRequests, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, answers, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, selection.Details());
    }
}
