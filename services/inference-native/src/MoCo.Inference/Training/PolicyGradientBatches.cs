using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Randomness;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;
using MoCo.Native.Training;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Training;

/// <summary>
/// POLICY_GRADIENT steps (contracts.md §4 Train, methods-text.md §6 GRPO): at each step the trainer's current weights
/// are saved and served for a moment under a private id, every prompt of the step is sampled group_size times on the
/// model's own scheduling loop (KV-cached, batched with other traffic), the rollouts go to the client, and the step
/// waits for its rewards. Each prompt's completions form one advantage group; the loss trains the completion tokens,
/// the end-of-sequence token included (generation stops there, so nothing after it is trained).
/// </summary>
public sealed class PolicyGradientBatches(
    TrainSettings settings,
    IReadOnlyList<NativeExample[]> prompts,
    ModelRegistry registry,
    RequestLimits limits,
    string snapshotRoot,
    ChannelWriter<TrainResponse> events,
    ChannelReader<TrainRewards> rewards,
    CancellationToken cancel) : IStepBatches
{
    private readonly RolloutSettings _rollouts = settings.Rollouts ?? throw new ArgumentException("a policy-gradient job has rollout settings", nameof(settings));

    /// <summary>The temperature rollouts are drawn at, which the loss's log-probs use too (1 when sampling is greedy).</summary>
    public static float Temperature(TrainSettings settings, IReadOnlyList<NativeExample[]> prompts, RequestLimits limits)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(prompts);
        var effective = GenerateRequests.Prepare(Request(settings, settings.Base.Id, prompts[0][0], 0), settings.Base.Text, limits, () => 0);
        return effective.Greedy ? 1f : effective.Sampling.Temperature;
    }

    /// <inheritdoc/>
    public IEnumerable<NativeExample[]> ForStep(MocoTrainer trainer, int step, IReadOnlyList<int[]> microBatches)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(microBatches);
        var indices = microBatches.SelectMany(b => b).ToList();
        var completions = Sample(trainer, step, indices);
        var batchId = step.ToString(CultureInfo.InvariantCulture);
        var message = new TrainRollouts { BatchId = batchId };
        foreach (var (index, samples) in indices.Zip(completions))
        {
            message.Rollouts.Add(samples.Select((c, k) =>
            {
                var rollout = new Rollout { ExampleIndex = index, SampleIndex = k, Text = c.Text };
                rollout.TokenIds.Add(c.TokenIds);
                return rollout;
            }));
        }
        events.TryWrite(new TrainResponse { Rollouts = message });
        var answer = Await(rewards.ReadAsync(cancel).AsTask());
        var values = Check(answer, batchId, message.Rollouts.Count);

        var next = 0;
        var byIndex = new Dictionary<int, (GenerateFinal[] Samples, double[] Rewards)>();
        foreach (var (index, samples) in indices.Zip(completions))
        {
            byIndex[index] = (samples, values[next..(next + samples.Length)]);
            next += samples.Length;
        }
        return microBatches.Select(batch => batch.SelectMany((index, group) => Sequences(prompts[index][0], byIndex[index], group)).ToArray())
            .Where(batch => batch.Length > 0);
    }

    private static GenerateRequest Request(TrainSettings settings, string model, NativeExample prompt, ulong seed)
    {
        var tokens = new TokenIds();
        tokens.Ids.Add(prompt.Tokens.ToArray());
        return new GenerateRequest
        {
            Model = model,
            Prompt = new Prompt { Tokens = tokens },
            Sampling = settings.Rollouts!.Sampling,
            N = settings.Rollouts.GroupSize,
            Seed = seed,
            InputSettings = new InputSettings { Bos = BosMode.None },
        };
    }

    // Serves the current weights under a private id for the step's sampling only; the snapshot is gone afterwards.
    private GenerateFinal[][] Sample(MocoTrainer trainer, int step, List<int> indices)
    {
        var id = $"{settings.OutputId}.policy-{step}";
        var directory = Path.Combine(snapshotRoot, $".policy-{Guid.NewGuid():N}");
        TrainRun.Save(settings, trainer, directory);
        try
        {
            var served = registry.Register(id, directory);
            var jobs = indices.Select(index =>
            {
                var effective = GenerateRequests.Prepare(Request(settings, id, prompts[index][0], Seed(step, index)), served.Text, limits, () => 0);
                var job = new GenerateJob(new GenerateSettings(effective, served.Text.Tokenizer, served.Text.ContextLength, Stopwatch.GetTimestamp()),
                    served.Info, served.Adapter, cancel);
                served.Base.Scheduler.Enqueue(job);
                return Finals(job);
            }).ToList();
            return Await(Task.WhenAll(jobs));
        }
        finally
        {
            registry.Forget(id);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static async Task<GenerateFinal[]> Finals(GenerateJob job)
    {
        var finals = new List<GenerateFinal>();
        await foreach (var message in job.Output.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (message.PayloadCase != GenerateResponse.PayloadOneofCase.Final)
            {
                continue;
            }
            if (message.Final.Error is { } error)
            {
                throw new RpcException(new Status((StatusCode)error.Code, $"a rollout failed: {error.Message}"));
            }
            finals.Add(message.Final);
        }
        return [.. finals.OrderBy(f => f.SampleIndex)];
    }

    // One group per prompt: a completion with no token (the prompt filled the context) trains nothing, and a group
    // left with fewer than two completions has no advantage to learn from. Completions longer than max_length lose
    // their end.
    private IEnumerable<NativeExample> Sequences(NativeExample prompt, (GenerateFinal[] Samples, double[] Rewards) group, int groupIndex)
    {
        var promptTokens = prompt.Tokens.ToArray();
        var room = settings.Hyper.MaxLength - promptTokens.Length;
        var kept = group.Samples.Select((s, k) => (Tokens: s.TokenIds.Take(room).ToArray(), Reward: group.Rewards[k]))
            .Where(s => s.Tokens.Length > 0).ToList();
        if (kept.Count < 2)
        {
            yield break;
        }
        foreach (var (tokens, reward) in kept)
        {
            var mask = new byte[promptTokens.Length + tokens.Length];
            Array.Fill(mask, (byte)1, promptTokens.Length, tokens.Length);
            yield return new NativeExample((int[])[.. promptTokens, .. tokens], mask, (float)reward, groupIndex);
        }
    }

    private static double[] Check(TrainRewards answer, string batchId, int count)
    {
        if (answer.BatchId != batchId)
        {
            throw MocoErrors.InvalidArgument(new Problem("rewards.batch_id", "INVALID_VALUE", $"the rollouts awaiting rewards are batch '{batchId}', not '{answer.BatchId}'"));
        }
        if (answer.Rewards.Count != count)
        {
            throw MocoErrors.InvalidArgument(new Problem("rewards.rewards", "INVALID_VALUE", $"batch '{batchId}' has {count} rollouts; send one reward each, in order (got {answer.Rewards.Count})"));
        }
        for (var i = 0; i < count; i++)
        {
            if (!double.IsFinite(answer.Rewards[i]))
            {
                throw MocoErrors.InvalidArgument(new Problem($"rewards.rewards[{i}]", "INVALID_VALUE", $"a reward must be finite, got {answer.Rewards[i]}"));
            }
        }
        return [.. answer.Rewards];
    }

    // Counter-based per (job seed, step, prompt): the same job draws the same rollouts whatever else the loop serves.
    private ulong Seed(int step, int index) => new SplitMix64(settings.Hyper.Seed ^ ((ulong)(uint)step << 32) ^ (uint)index).Next();

    // The job runs on its own thread (TrainRun), so blocking it on the loop and the client is what it is for.
    private T Await<T>(Task<T> task)
    {
        try
        {
            return task.WaitAsync(cancel).GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            throw MocoErrors.InvalidArgument(new Problem("rewards", "MISSING_FIELD",
                "the request stream ended while rollouts awaited their rewards; answer every TrainRollouts with TrainRewards"));
        }
    }
}
