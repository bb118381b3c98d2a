using Grpc.Core;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Scoring;

namespace MoCo.Evaluator.Judges;

/// <summary>
/// What the model-backed scorers share: a preflight that refuses the whole call, before any item, when the model is
/// not in the inference catalogue (FAILED_PRECONDITION naming the model and its config key, evaluation.md §3); the
/// cache per (item, output, judge); and item errors, never invented scores, when a call fails (an unreachable
/// inference service included: UNAVAILABLE per item, while cached judgements still score) — once the inference
/// service has shown that it cannot run the call at all, later items fail without calling again.
/// </summary>
public abstract class JudgeScorer(ScoringSettings settings, IInferenceBackend backend, JudgeCache cache, JudgeRole role,
    string model, string rpc, string taskType, int parallelism) : IItemScorer
{
    private Google.Rpc.Status? _permanentFailure;

    /// <inheritdoc/>
    public int Parallelism => parallelism;

    /// <summary>The call's settings.</summary>
    protected ScoringSettings Settings => settings;

    /// <summary>The inference service.</summary>
    protected IInferenceBackend Backend => backend;

    /// <summary>The model judging.</summary>
    protected string Model => model;

    /// <summary>Whether scoring this call needs the model at all.</summary>
    protected virtual bool NeedsModel => !settings.ExtractOnly;

    /// <inheritdoc/>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (!NeedsModel)
        {
            return;
        }
        try
        {
            await backend.ModelInfoAsync(model, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw EvaluatorException.Single(StatusCode.FailedPrecondition, role.ConfigKey, Reasons.JudgeMissing,
                $"task type '{taskType}' needs the {role.Name} '{model}' ({role.ConfigKey}), which is not in the inference service's catalogue",
                $"moco models pull-from-dir <folder> --name \"{model}\" (nothing is downloaded), or set {role.ConfigKey} to a catalogue model",
                new Dictionary<string, string> { ["model"] = model, ["key"] = role.ConfigKey });
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unimplemented or StatusCode.Unavailable)
        {
            // Not a verdict on the model. UNIMPLEMENTED: whether the model can run is learnt from the first item, whose
            // error then names what is missing. UNAVAILABLE: an unreachable service is an infrastructure failure of
            // each item that needs a call (evaluation.md §2.11 n_errors), not of the call: judgements already cached
            // still score, and a service back in time serves the rest.
        }
    }

    /// <inheritdoc/>
    public abstract ValueTask<ItemOutcome> ScoreAsync(DatasetItem item, string output, CancellationToken cancellationToken);

    /// <summary>The judgement of <paramref name="output"/> for <paramref name="item"/> by the judge variant
    /// <paramref name="judge"/> (cached), turned into an outcome; an item error when the call fails.</summary>
    protected async ValueTask<ItemOutcome> JudgeAsync(DatasetItem item, string output, string judge, Func<Task<Judgement>> call,
        Func<Judgement, ItemOutcome> outcome, string? parsed, IReadOnlyList<string> flags)
    {
        if (_permanentFailure is { } known)
        {
            return ItemOutcome.Failed(known.Clone(), parsed, flags);
        }
        try
        {
            var judgement = await cache.GetOrAddAsync(JudgeCache.Key($"{judge}|{model}", settings.ItemKey(item), output), call).ConfigureAwait(false);
            return outcome(judgement);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            var error = JudgeFailures.ToItemError(e, role, model, rpc, backend.Address, taskType);
            if (JudgeFailures.IsPermanent(e))
            {
                _permanentFailure = error;
            }
            return ItemOutcome.Failed(error, parsed, flags);
        }
        catch (JudgeOutputException e)
        {
            return ItemOutcome.Failed(JudgeFailures.Item(StatusCode.Unknown, "JUDGE_OUTPUT_UNPARSEABLE", e.Message,
                "use a judge model that follows the requested format", role, model), parsed, flags);
        }
    }
}

/// <summary>A judge answered, but not in the requested form (e.g. no "Rating: n" line): an item error.</summary>
public sealed class JudgeOutputException(string message) : Exception(message);
