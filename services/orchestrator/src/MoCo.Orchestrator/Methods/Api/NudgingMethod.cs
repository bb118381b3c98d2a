using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Decoding;
using MoCo.Router.Service;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>
/// api_nudging (methods-api.md §1): each item decoded by the base and the nudging model in lock-step over Decode
/// (<see cref="Nudging"/>), items concurrently up to `batch_size`. With `search_gamma` / `search_nudging` every
/// (gamma, nudger) pair runs on dev (its mean dev score is its phase's checkpoint) and the best pair, earliest on ties,
/// runs on test; that pair is stored as the run's router, which the router service's Complete nudges with. The test
/// outputs are the checkpoint of `test · nudge`, so a resumed run does not decode them again.
/// </summary>
public sealed class NudgingMethod : ICollaborationMethod
{
    /// <summary>Phase of the test decoding.</summary>
    public const string TestPhase = "test · nudge";

    /// <inheritdoc/>
    public string Id => "api_nudging";

    /// <summary>The phase of search pair <paramref name="pair"/> on dev.</summary>
    public static string PairPhase(int pair) => $"dev · pair {pair}";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var models = config.ModelNames;
        var decoding = context.Decoding ?? throw new InvalidOperationException(
            "api_nudging decodes token by token with inference Decode, and this run's services cannot decode: run it against an inference service");
        var baseModel = (int)hyper.Int("base_model_id");
        var pairs = Nudging.Pairs(hyper.Bool("search_gamma"), hyper.Bool("search_nudging"), hyper.Number("gamma"), baseModel, (int)hyper.Int("nudging_model_id"),
            models.Count);
        NudgingSettings Settings((double Gamma, int Nudger) pair) => new(models[baseModel], models[pair.Nudger], pair.Gamma,
            (int)hyper.Int(GeneralKeys.MaxResponseLength), hyper.Number(GeneralKeys.Temperature), hyper.Bool("do_sample"), hyper.Bool("use_kv_cache"));

        var chosen = 0;
        var devScores = new JsonArray();
        string? routerId = null;
        if (pairs.Count > 1)
        {
            var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
            var scores = new List<double>();
            for (var i = 0; i < pairs.Count; i++)
            {
                var phase = PairPhase(i);
                if (await context.Recorder.BeginPhaseAsync(phase, "items", dev.Items.Count, cancellationToken).ConfigureAwait(false) is JsonValue stored)
                {
                    scores.Add((double)stored);
                    continue;
                }
                var outputs = await DecodeAsync(context, decoding, Settings(pairs[i]), dev, phase, cancellationToken).ConfigureAwait(false);
                var split = await context.Evaluation.ScoreAsync(dev, [.. outputs.Select(o => o.Text)], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
                scores.Add(split.Mean);
                await context.Recorder.EndPhaseAsync(phase, JsonValue.Create(split.Mean), cancellationToken).ConfigureAwait(false);
            }
            chosen = Nudging.Best(scores);
            devScores = new JsonArray([.. scores.Select(s => (JsonNode?)JsonValue.Create(s))]);
            // The searched pair is the run's router: the router service's Complete nudges with it by this id after the run.
            routerId = ApiRouters.Save(context, NudgingFit.Payload(pairs[chosen], scores)).RouterId;
        }

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<NudgedText> texts;
        if (await context.Recorder.BeginPhaseAsync(TestPhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false) is JsonArray done)
        {
            texts = [.. done.Select(d => new NudgedText((string)d!["text"]!, [.. d["authors"]!.AsArray().Select(a => (int)a!)], (int)d["steps"]!,
                (string?)d["error"]))];
        }
        else
        {
            texts = await DecodeAsync(context, decoding, Settings(pairs[chosen]), test, TestPhase, cancellationToken).ConfigureAwait(false);
            await context.Recorder.EndPhaseAsync(TestPhase, new JsonArray([.. texts.Select(t => (JsonNode)new JsonObject
            {
                ["text"] = t.Text,
                ["authors"] = new JsonArray([.. t.Authors.Select(a => (JsonNode?)JsonValue.Create(a))]),
                ["steps"] = t.Steps,
                ["error"] = t.Error,
            })]), cancellationToken).ConfigureAwait(false);
        }
        var results = texts.Select(t => new GenerationResult([t.Text], [t.Error is null ? "stop" : "error"], new CallUsage(0, t.Steps, TimeSpan.Zero), t.Error)).ToList();
        var scored = await ApiAnswers.ScoreAsync(context, test, results, _ => [], k => new JsonObject
        {
            ["nudged_pieces"] = texts[k].Authors.Count(a => a == 1),
            ["pieces"] = texts[k].Authors.Count,
        }, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs);
        var details = new JsonObject
        {
            ["gamma"] = pairs[chosen].Gamma,
            ["nudging_model"] = pairs[chosen].Nudger,
            ["search_dev_scores"] = devScores,
            ["nudged_share"] = texts.Sum(t => t.Authors.Count) == 0 ? 0.0 : texts.Sum(t => t.Authors.Count(a => a == 1)) / (double)texts.Sum(t => t.Authors.Count),
        };
        if (routerId is not null)
        {
            details["router_id"] = routerId;
        }
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    private static Task<IReadOnlyList<NudgedText>> DecodeAsync(MethodContext context, IDecodeBackend decoding, NudgingSettings settings, TaskSplit split,
        string phase, CancellationToken cancellationToken) =>
        DecodedItems.EachAsync(context, phase, split, (int)context.Config.Hyperparameters.Int(GeneralKeys.BatchSize),
            (item, key) => Nudging.RunAsync(decoding, settings, item.Prompt, context.Seed, key, cancellationToken),
            error => new NudgedText("", [], 0, error), cancellationToken);
}
