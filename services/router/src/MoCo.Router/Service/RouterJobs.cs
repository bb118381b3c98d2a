using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>What every training job a router fit sends has in common: the trained model's id, and its progress as the
/// TrainRouter stream reports it.</summary>
public static class RouterJobs
{
    /// <summary>Runs <paramref name="job"/> (its base model set) on <paramref name="trainer"/> under an id that covers
    /// <paramref name="routerId"/>, the base models' <paramref name="fingerprints"/>, the job and the examples, reporting
    /// its steps as <paramref name="phase"/>; the trained model's id.</summary>
    public static Task<string> TrainAsync(IRouterTrainer trainer, TrainJob job, IReadOnlyList<TrainExample> examples, string routerId,
        IReadOnlyList<string> fingerprints, string phase, Func<Progress, Task> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(job);
        job.OutputId = ModelId(routerId, fingerprints, job, examples);
        job.CallKey = job.OutputId;
        return trainer.TrainAsync(job, examples, Reporter(phase, progress), cancellationToken);
    }

    // `trained-` + a digest of the router's id, the base models' fingerprints, the job (base model set, output id and
    // call key not yet) and the examples: the same fit gets the same id, so a model the inference service still serves
    // is not trained again, and any change trains a new one.
    private static string ModelId(string routerId, IReadOnlyList<string> fingerprints, TrainJob job, IReadOnlyList<TrainExample> examples)
    {
        var identity = new JsonObject
        {
            ["router"] = routerId,
            ["fingerprints"] = new JsonArray([.. fingerprints.Select(f => (JsonNode?)JsonValue.Create(f))]),
            ["job"] = JsonNode.Parse(JsonFormatter.Default.Format(job)),
            ["examples"] = new JsonArray([.. examples.Select(e => JsonNode.Parse(JsonFormatter.Default.Format(e)))]),
        };
        return "trained-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToJsonString())))[..32];
    }

    // Train's started and progress messages as the phase's progress: 0 of the job's steps when it starts, then each
    // optimizer step.
    private static Func<TrainResponse, Task> Reporter(string phase, Func<Progress, Task> progress)
    {
        var total = 0;
        return response =>
        {
            var started = response.PayloadCase == TrainResponse.PayloadOneofCase.Started;
            total = started ? response.Started.TotalSteps : total;
            return progress(new Progress { Phase = phase, Done = started ? 0 : response.Progress.Step, Total = total });
        };
    }
}
