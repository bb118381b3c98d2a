using System.Globalization;
using System.Text.RegularExpressions;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Prompts;
using DatasetItem = MoCo.Evaluator.Datasets.DatasetItem;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// reward_model (evaluation.md §2.6, §3.2): the score is the reward for the conversation [user: input, assistant:
/// output]. Kind classifier: inference Score in classification mode (the service applies the model's template,
/// never truncates), the head's logit; a model other than the Skywork RM adds reward_model_substituted. Kind judge:
/// a generative model rates the response 1–10 on a final line "Rating: n"; the last such rating is the score,
/// flag reward_judge_generative. Substitutes score on their own scale.
/// </summary>
public sealed partial class RewardModelScorer(ScoringSettings settings, IInferenceBackend backend, JudgeCache cache, JudgeModels models,
    PromptTexts texts, int parallelism, string taskType = "reward_model")
    : JudgeScorer(settings, backend, cache, JudgeRole.RewardModel, models.RewardModel, models.RewardIsJudge ? "Generate" : "Score", taskType, parallelism)
{
    [GeneratedRegex(@"^[ \t]*Rating:[ \t]*(\d+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Rating();

    /// <inheritdoc/>
    public override ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken)
    {
        if (Settings.ExtractOnly)
        {
            return ValueTask.FromResult(ItemOutcome.ExtractedOnly(null));
        }
        var input = item.String("input")!;
        if (models.RewardIsJudge)
        {
            string[] judgeFlags = [ItemFlags.RewardJudgeGenerative];
            var request = new GenerateRequest
            {
                Model = Model,
                Prompt = UserMessage(texts.RewardJudge.Render(new Dictionary<string, string> { ["request"] = input, ["response"] = output })),
                Sampling = new SamplingParams { Temperature = 0, DoSample = false, MaxNewTokens = 1024 },
            };
            // The text is what is cached and the rating is parsed from it, so an unparseable answer is not asked
            // for again on re-evaluation (greedy: the judge would say the same).
            return JudgeAsync(item, output, "reward-judge",
                async () => new Judgement(0, await Backend.GenerateAsync(request, cancellationToken).ConfigureAwait(false), null, false),
                j => new ItemOutcome { Score = ParseRating(j.Text!), Flags = [.. judgeFlags], Detail = new ItemDetail { JudgeText = j.Text } },
                null, judgeFlags);
        }

        var flags = Model == JudgeRole.RewardModel.DefaultModel ? [] : new[] { ItemFlags.RewardModelSubstituted };
        var score = new ScoreRequest
        {
            Model = Model,
            Mode = ScoreMode.Classification,
            Prompt = new Prompt
            {
                Chat = new ChatPrompt
                {
                    Messages = { new ChatMessage { Role = "user", Content = input }, new ChatMessage { Role = "assistant", Content = output } },
                    AddGenerationPrompt = false,
                },
            },
        };
        return JudgeAsync(item, output, "reward-classifier", async () =>
            {
                var reply = await Backend.ScoreAsync(score, cancellationToken).ConfigureAwait(false);
                if (reply.Values.Count == 0)
                {
                    throw new JudgeOutputException($"'{Model}' returned no classification logit: is it a sequence-classification model?");
                }
                return new Judgement(reply.Values[0], null, reply.Values[0], false);
            },
            j => new ItemOutcome { Score = j.Score, Flags = [.. flags], Detail = new ItemDetail { RewardLogit = j.Logit } },
            null, flags);
    }

    private static Prompt UserMessage(string content) =>
        new() { Chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = content } } } };

    private double ParseRating(string text)
    {
        var ratings = Rating().Matches(text);
        if (ratings.Count == 0 || !int.TryParse(ratings[^1].Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var rating)
            || rating is < 1 or > 10)
        {
            throw new JudgeOutputException($"'{Model}' gave no final \"Rating: <1–10>\" line");
        }
        return rating;
    }
}
