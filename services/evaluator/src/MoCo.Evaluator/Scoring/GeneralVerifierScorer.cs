using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Prompts;
using DatasetItem = MoCo.Evaluator.Datasets.DatasetItem;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// general_verifier (evaluation.md §2.4, §3.1): the verifier judges whether the extracted answer ("No answer
/// provided." for a blank output) is equivalent to the ground truth; 1.0 iff its generation contains the
/// case-sensitive "Final Decision: Yes". TIGER-Lab/general-verifier gets its trained format as raw text, greedy,
/// 1024 new tokens; any other model gets the same content as one user message through its chat template, and the
/// item flag judge_substituted.
/// </summary>
public sealed class GeneralVerifierScorer(ScoringSettings settings, IInferenceBackend backend, JudgeCache cache, JudgeModels models,
    PromptBuilder prompts, PromptTexts texts, int parallelism)
    : JudgeScorer(settings, backend, cache, JudgeRole.Verifier, models.Verifier, "Generate", "general_verifier", parallelism)
{
    /// <summary>The verdict phrase, case-sensitive.</summary>
    public const string PassTag = "Final Decision: Yes";

    /// <summary>The student answer of a blank output.</summary>
    public const string NoAnswer = "No answer provided.";

    private bool Faithful => Model == JudgeRole.Verifier.DefaultModel;

    /// <inheritdoc/>
    public override ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        if (Settings.ExtractOnly)
        {
            return ValueTask.FromResult(ItemOutcome.ExtractedOnly(output));
        }
        var content = JudgePrompt(item, output);
        var flags = Faithful ? [] : new[] { ItemFlags.JudgeSubstituted };
        var prompt = Faithful
            ? new Prompt { Text = content }
            : new Prompt { Chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = content } } } };
        var request = new GenerateRequest
        {
            Model = Model,
            Prompt = prompt,
            Sampling = new SamplingParams { Temperature = 0, DoSample = false, MaxNewTokens = 1024 },
        };
        return JudgeAsync(item, output, Faithful ? "verifier-raw" : "verifier-chat",
            async () => new Judgement(0, await Backend.GenerateAsync(request, cancellationToken).ConfigureAwait(false), null, false),
            j => new ItemOutcome
            {
                Score = j.Text!.Contains(PassTag, StringComparison.Ordinal) ? 1.0 : 0.0,
                Parsed = output,
                Flags = [.. flags],
                Detail = new ItemDetail { JudgeText = j.Text },
            },
            output, flags);
    }

    /// <summary>The verifier's prompt for an item and output: question, ground truth and student answer inserted
    /// literally into the template.</summary>
    public string JudgePrompt(DatasetItem item, string output)
    {
        var student = PythonText.Strip(output).Length == 0 ? NoAnswer
            : Settings.Extracted ? output : AnswerExtractor.Extract(output, Settings.Mode);
        return texts.Verifier.Render(new Dictionary<string, string>
        {
            ["question"] = prompts.VerifierQuestion(item),
            ["ground_truth"] = VerifierGroundTruth.Of(item),
            ["student_answer"] = student,
        });
    }
}
