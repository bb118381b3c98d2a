using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>One Train job the double served: the job message and every example sent.</summary>
public sealed record ServedJob(TrainJob Job, IReadOnlyList<TrainExample> Examples);

/// <summary>
/// A TEST DOUBLE of the inference service's Train and ModelInfo RPCs: Train reads the job and examples up to
/// examples_done, answers started, a progress message per step (one per example: loss 0.25 at the last; a
/// POLICY_GRADIENT job's step k after its rollouts' rewards, loss 1/k) and done (model id = the job's output_id) and from then on ModelInfo knows that id;
/// any other model is NOT_FOUND. <see cref="Forget"/> drops every trained model, as a restarted service would. A
/// POLICY_GRADIENT job sends one rollout batch per example, in order — group_size rollouts whose texts
/// <see cref="RolloutText"/> gives — and waits for each batch's rewards (kept in <see cref="Rewards"/>) before the next.
/// With <see cref="RewardModel"/> set, Score in classification mode answers that function's value (a single-logit
/// reward model).
/// </summary>
public sealed class ScriptedTrainer : RefusingCallInvoker
{
    private readonly ConcurrentDictionary<string, TrainJob> _trained = new(StringComparer.Ordinal);

    public ConcurrentQueue<ServedJob> Jobs { get; } = new();

    /// <summary>The text of rollout (example, sample) of a policy-gradient job.</summary>
    public Func<int, int, string> RolloutText { get; set; } = (example, sample) => $"rollout {example}.{sample}";

    /// <summary>Every (rollout, reward) a policy-gradient job received, in order.</summary>
    public ConcurrentQueue<(Rollout Rollout, double Reward)> Rewards { get; } = new();

    /// <summary>The base model a trained id was trained from; null for any other id.</summary>
    public string? BaseOf(string modelId) => _trained.TryGetValue(modelId, out var job) ? job.BaseModel : null;

    public void Forget() => _trained.Clear();

    /// <summary>The reward of a classification-mode Score request; null = Score is refused.</summary>
    public Func<ScoreRequest, float>? RewardModel { get; set; }

    /// <summary>The classification-mode Score requests served.</summary>
    public ConcurrentQueue<ScoreRequest> Scored { get; } = new();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        if (request is ScoreRequest score && score.Mode == ScoreMode.Classification && RewardModel is { } rewards)
        {
            Scored.Enqueue(score);
            var reward = new ScoreResponse { Usage = new Usage { PromptTokens = 7 } };
            reward.Values.Add(rewards(score));
            return new AsyncUnaryCall<TResponse>(Task.FromResult((TResponse)(object)reward), Task.FromResult(new Metadata()), () => Status.DefaultSuccess,
                () => [], () => { });
        }
        if (request is not ModelInfoRequest info)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName));
        }
        if (!_trained.ContainsKey(info.Model))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no model '{info.Model}'"));
        }
        var response = new ModelInfoResponse { Summary = new ModelSummary { Id = info.Model, Fingerprint = "fp:" + info.Model } };
        return new AsyncUnaryCall<TResponse>(Task.FromResult((TResponse)(object)response), Task.FromResult(new Metadata()), () => Status.DefaultSuccess,
            () => [], () => { });
    }

    // The scripted service serves no weights (ReadWeights), as a service that does not implement it answers.
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options, TRequest request) => throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options)
    {
        if (method.Name != "Train")
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, method.FullName));
        }
        var responses = Channel.CreateUnbounded<TrainResponse>();
        var requests = new Requests(this, responses.Writer);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>((IClientStreamWriter<TRequest>)(object)requests,
            (IAsyncStreamReader<TResponse>)(object)new Responses(responses.Reader), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    private sealed class Requests(ScriptedTrainer trainer, ChannelWriter<TrainResponse> responses) : IClientStreamWriter<TrainRequest>
    {
        private readonly List<TrainExample> _examples = [];
        private TrainJob? _job;
        private TrainRollouts? _pending;
        private int _batch;

        private void SendRollouts()
        {
            _pending = new TrainRollouts { BatchId = $"batch-{_batch}" };
            for (var k = 0; k < (_job!.Hyper.GroupSize ?? 4); k++)
            {
                _pending.Rollouts.Add(new Rollout { ExampleIndex = _batch, SampleIndex = k, Text = trainer.RolloutText(_batch, k) });
            }
            responses.TryWrite(new TrainResponse { Rollouts = _pending });
        }

        private void Finish()
        {
            var job = _job!;
            if (job.Kind != TrainKind.PolicyGradient)
            {
                responses.TryWrite(new TrainResponse { Progress = new TrainProgress { Step = _examples.Count, Loss = 0.25 } });
            }
            trainer._trained[job.OutputId] = job;
            responses.TryWrite(new TrainResponse { Done = new TrainDone { ModelId = job.OutputId, FinalLoss = 0.25, Fingerprint = "fp:" + job.OutputId } });
            responses.TryComplete();
        }

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(TrainRequest message)
        {
            switch (message.PayloadCase)
            {
                case TrainRequest.PayloadOneofCase.Job:
                    _job = message.Job;
                    break;
                case TrainRequest.PayloadOneofCase.Examples:
                    _examples.AddRange(message.Examples.Examples);
                    break;
                case TrainRequest.PayloadOneofCase.ExamplesDone:
                    var job = _job ?? throw new InvalidOperationException("examples_done before the job");
                    trainer.Jobs.Enqueue(new ServedJob(job, [.. _examples]));
                    responses.TryWrite(new TrainResponse { Started = new TrainStarted { JobId = "job", TotalSteps = _examples.Count } });
                    if (job.Kind == TrainKind.PolicyGradient)
                    {
                        SendRollouts();
                    }
                    else
                    {
                        Finish();
                    }
                    break;
                case TrainRequest.PayloadOneofCase.Rewards:
                    var sent = _pending ?? throw new InvalidOperationException("rewards without rollouts");
                    if (message.Rewards.BatchId != sent.BatchId || message.Rewards.Rewards.Count != sent.Rollouts.Count)
                    {
                        throw new InvalidOperationException($"rewards {message.Rewards.BatchId} ×{message.Rewards.Rewards.Count} answer no batch sent");
                    }
                    foreach (var (rollout, reward) in sent.Rollouts.Zip(message.Rewards.Rewards))
                    {
                        trainer.Rewards.Enqueue((rollout, reward));
                    }
                    _batch++;
                    responses.TryWrite(new TrainResponse { Progress = new TrainProgress { Step = _batch, Loss = 1.0 / _batch } });
                    if (_batch < _examples.Count)
                    {
                        SendRollouts();
                    }
                    else
                    {
                        Finish();
                    }
                    break;
                default:
                    throw new InvalidOperationException($"unexpected {message.PayloadCase}");
            }
            return Task.CompletedTask;
        }

        public Task CompleteAsync() => Task.CompletedTask;
    }

    private sealed class Responses(ChannelReader<TrainResponse> reader) : IAsyncStreamReader<TrainResponse>
    {
        public TrainResponse Current { get; private set; } = null!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await reader.WaitToReadAsync(cancellationToken))
            {
                return false;
            }
            Current = await reader.ReadAsync(cancellationToken);
            return true;
        }
    }
}
