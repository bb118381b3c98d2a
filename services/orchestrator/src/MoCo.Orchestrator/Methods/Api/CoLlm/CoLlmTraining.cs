using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Logs;
using MoCo.Router.Decoding;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Api.CoLlm;

/// <summary>
/// CoLLM's training pipeline (methods-api.md §8 steps 1–5) on the inference service: each row becomes the chat
/// [system, user: `Problem: ` + problem, assistant: solution] in the generator's own template (MoCo.NET: the template
/// inference uses, not the reference's Qwen format for every family); both models score the assistant turn (its end
/// of turn included) in one Score call each, cached under call keys; the labels follow; one COLLM_DEFERRAL Train job
/// (probe pass, then full fine-tuning with the added entry) makes the trained generator. The reference's
/// `model_checkpoints_init` run, never read again, is skipped. Side files go to the run's `co-llm/{generator}-{mentor}/`.
/// </summary>
public static class CoLlmTraining
{
    /// <summary>The vocabulary entry the generator learns.</summary>
    public const string DeferToken = CoLlmDeferralData.DeferToken;

    /// <summary>Phase of the two models' scoring.</summary>
    public const string ScorePhase = MoCo.Router.Routing.ApiCallSites.CoLlmScorePhase;

    /// <summary>Phase of the Train job.</summary>
    public const string TrainPhase = MoCo.Router.Routing.ApiCallSites.CoLlmTrainPhase;

    /// <summary>Scores the rows, writes the side files and trains; returns the trained generator's id.</summary>
    public static async Task<TrainedModel> TrainAsync(MethodContext context, IReadOnlyList<CoLlmRow> rows, string sideFolder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rows);
        var config = context.Config;
        var (generator, mentor) = (config.ModelNames[0], config.ModelNames[1]);
        var decoding = context.Decoding ?? throw new InvalidOperationException(
            "api_collm renders and tokenises with the inference service, and this run's services cannot: run it against an inference service");
        var training = context.Training ?? throw new InvalidOperationException(
            "api_collm trains its generator with inference Train, and this run's services cannot train: run it against an inference service");
        if (rows.Count == 0)
        {
            throw new InvalidOperationException("hyperparameters.training_dataset_name: the training set has no rows; give it rows or raise training_num");
        }
        var maxLength = (int)config.Hyperparameters.Int("max_sequence_length");
        var dataset = LogFileName.LastSegment(config.Hyperparameters.String("training_dataset_name")!);
        WriteLines(Path.Combine(sideFolder, "training_data.jsonl"), rows.Select(r => Messages(dataset, r)));

        var completions = await Task.WhenAll(rows.Select(r => CoLlmDeferralData.CompletionAsync(decoding, generator, r, cancellationToken))).ConfigureAwait(false);
        await CoLlmDeferralData.CheckSharedTokenizerAsync(decoding, generator, mentor, rows[0], cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(ScorePhase, "rows", 2 * rows.Count, cancellationToken).ConfigureAwait(false);
        var site = context.Site(ScorePhase, "score");
        var requests = rows.Select((r, i) => new ScoreRequest(site, r.Id, i, CoLlmDecoding.User(r.Problem), completions[i], System: CoLlmDecoding.SystemMessage)).ToList();
        var scored = await Task.WhenAll(context.Scoring.ScoreAsync(generator, requests, cancellationToken), context.Scoring.ScoreAsync(mentor, requests, cancellationToken))
            .ConfigureAwait(false);
        var (own, mentors) = (scored[0], scored[1]);
        context.Recorder.Progress(ScorePhase, 2 * rows.Count);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);

        var labelled = CoLlmDeferralData.Examples(rows, completions, [.. own.Select(Score)], [.. mentors.Select(Score)], maxLength);
        var examples = labelled.Select(l => l.Example).ToList();
        WriteLines(Path.Combine(sideFolder, "generator_scored_data", "scored.jsonl"), rows.Select((r, i) => Scored(r, own[i])));
        WriteLines(Path.Combine(sideFolder, "mentor_scored_data", "scored.jsonl"), rows.Select((r, i) => Scored(r, mentors[i])));
        WriteLines(Path.Combine(sideFolder, "train_data_initializer", "labels.jsonl"), labelled.Select(l => (JsonNode)new JsonObject
        {
            ["id"] = rows[l.Row].Id,
            ["labels"] = new JsonArray([.. l.Example.Labels.Select(x => (JsonNode?)x)]),
        }));
        if (examples.Count == 0)
        {
            throw new InvalidOperationException($"api_collm: none of the {rows.Count} training rows fits max_sequence_length {maxLength} and the models' context; " +
                "raise max_sequence_length or use shorter rows");
        }

        await context.Recorder.BeginPhaseAsync(TrainPhase, "jobs", 1, cancellationToken).ConfigureAwait(false);
        var trained = await training.DeferralAsync(context.Site(TrainPhase, "generator"), generator, examples, new DeferralSettings(DeferToken, maxLength),
            cancellationToken).ConfigureAwait(false);
        context.Recorder.Progress(TrainPhase, 1);
        await context.Recorder.EndPhaseAsync(TrainPhase, null, cancellationToken).ConfigureAwait(false);
        return trained;
    }

    private static ContinuationScore Score(ScoreResult result) => new(result.TokenLogprobs, result.MaxLogprobs, result.Usage.PromptTokens, result.Error);

    private static JsonObject Messages(string dataset, CoLlmRow row)
    {
        var line = new JsonObject { ["dataset"] = dataset, ["id"] = row.Id };
        foreach (var (key, value) in row.Fields.Where(f => f.Key is "level" or "type"))
        {
            line[key] = value?.DeepClone();
        }
        line["messages"] = new JsonArray([.. CoLlmDeferralData.Conversation(row).Select(t => (JsonNode)new JsonObject { ["role"] = t.Role, ["content"] = t.Content })]);
        return line;
    }

    private static JsonObject Scored(CoLlmRow row, ScoreResult result) => new()
    {
        ["id"] = row.Id,
        ["logprobs"] = new JsonArray([.. result.TokenLogprobs.Select(v => (JsonNode?)v)]),
        ["max_logprobs"] = new JsonArray([.. result.MaxLogprobs.Select(v => (JsonNode?)v)]),
        ["error"] = result.Error,
    };

    private static void WriteLines(string path, IEnumerable<JsonNode> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines.Select(l => l.ToJsonString()));
    }
}
