using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;

namespace MoCo.Inference.Serving;

/// <summary>Score (contracts.md §4): CONTINUATION on a causal LM (raw log-probs of each continuation token, each
/// position's maximum and argmax), CLASSIFICATION on a sequence classifier (the head's values at the last token,
/// labels from config.json id2label), both run on the model's loop.</summary>
public sealed class ScoreCall(ModelRegistry registry)
{
    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">NOT_FOUND, INVALID_ARGUMENT (fields, PROMPT_TOO_LONG, WRONG_MODEL_KIND), RESOURCE_EXHAUSTED, CANCELLED.</exception>
    public async Task<ScoreResponse> RunAsync(ScoreRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var received = Stopwatch.GetTimestamp();
        var served = registry.Acquire(request.Model);
        var effective = ScoreRequests.Prepare(request, served.Text);
        var classify = effective.Mode == ScoreMode.Classification;
        if (classify != served.Info.IsClassifier)
        {
            throw ServingErrors.WrongKind(StatusCode.InvalidArgument, served.Id, served.KindName, "mode",
                classify ? "SCORE_MODE_CLASSIFICATION needs a sequence-classification model" : "SCORE_MODE_CONTINUATION needs a causal LM; use SCORE_MODE_CLASSIFICATION");
        }
        var prompt = effective.Prompt.TokenIds;
        if (prompt.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("prompt", "MISSING_FIELD", "the prompt encodes to no tokens; the first scored token needs a context"));
        }
        var response = new ScoreResponse();
        if (classify)
        {
            var job = new ClassifyJob(prompt, served.Info, served.Adapter, context.CancellationToken);
            served.Base.Scheduler.Enqueue(job);
            response.Values.Add(await Await(job.Result, context).ConfigureAwait(false));
            response.Labels.Add(Labels(served.Base.Resolution.Directory!, served.Info.OutputSize));
        }
        else
        {
            var job = new ScoreJob(prompt, effective.Continuation, served.Info, served.Adapter, context.CancellationToken);
            served.Base.Scheduler.Enqueue(job);
            var scores = await Await(job.Result, context).ConfigureAwait(false);
            response.TokenIds.Add(effective.Continuation);
            response.Logprobs.Add(scores.Logprobs);
            response.MaxLogprobs.Add(scores.MaxLogprobs);
            response.ArgmaxIds.Add(scores.ArgmaxIds);
            response.SumLogprob = scores.Sum;
        }
        response.Usage = new Usage
        {
            PromptTokens = prompt.Count,
            Latency = Duration.FromTimeSpan(Stopwatch.GetElapsedTime(received)),
        };
        return response;
    }

    /// <summary>The result of a queued job; its cancellation as CANCELLED or DEADLINE_EXCEEDED.</summary>
    internal static async Task<T> Await<T>(Task<T> result, ServerCallContext context)
    {
        try
        {
            return await result.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw ServingErrors.Cancelled(context, "the request was stopped");
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ServingErrors.From(e);
        }
    }

    // config.json id2label in label order; LABEL_i where it is silent, as transformers names them.
    private static IEnumerable<string> Labels(string directory, int count)
    {
        var names = new Dictionary<int, string>();
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "config.json"))))
        {
            if (config.RootElement.TryGetProperty("id2label", out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in map.EnumerateObject())
                {
                    if (int.TryParse(entry.Name, out var id) && entry.Value.ValueKind == JsonValueKind.String)
                    {
                        names[id] = entry.Value.GetString()!;
                    }
                }
            }
        }
        return Enumerable.Range(0, count).Select(i => names.GetValueOrDefault(i, $"LABEL_{i}"));
    }
}
