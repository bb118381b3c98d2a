using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MoCo.Contracts.V1;
using MoCo.Native.Training;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Training;

/// <summary>What a finished job left: the directory of the trained model and the last step's loss.</summary>
public sealed record TrainResult(string Directory, double FinalLoss);

/// <summary>
/// One training job on a dedicated thread: a trainer's calls block for seconds to hours (on the CPU or a GPU) and
/// must not hold a thread-pool thread or the model's scheduling loop. The base model is only read (moco.h: a trainer
/// never changes its model, and a model handle may be used from several threads), so the model keeps serving
/// inference meanwhile. Epochs shuffle
/// the examples with a generator seeded by the job's seed, so a fixed seed gives the same batches, hence (libmoco
/// being deterministic) the same losses and weights.
/// </summary>
public sealed class TrainRun
{
    private readonly TrainSettings _settings;
    private readonly IReadOnlyList<NativeExample[]> _units;
    private readonly string _outputRoot;
    private readonly ChannelWriter<TrainResponse> _events;
    private readonly CancellationToken _cancel;
    private readonly IStepBatches _batches;

    private TrainRun(TrainSettings settings, IReadOnlyList<NativeExample[]> units, string outputRoot, ChannelWriter<TrainResponse> events,
        IStepBatches? batches, CancellationToken cancel)
    {
        _settings = settings;
        _units = units;
        _outputRoot = outputRoot;
        _events = events;
        _cancel = cancel;
        _batches = batches ?? new FixedBatches(units);
        MicroBatches = (units.Count + settings.Hyper.MicroBatch - 1) / settings.Hyper.MicroBatch;
        StepsPerEpoch = (MicroBatches + settings.Hyper.GradAccum - 1) / settings.Hyper.GradAccum;
    }

    /// <summary>Micro-batches per epoch.</summary>
    public int MicroBatches { get; }

    /// <summary>Optimizer steps per epoch (a partial accumulation at the epoch's end still steps).</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Optimizer steps of the whole job.</summary>
    public int TotalSteps => StepsPerEpoch * _settings.Hyper.Epochs;

    /// <summary>A job over <paramref name="units"/> (one per contract example: one sequence for SFT, a pair for DPO, the
    /// prompt for POLICY_GRADIENT); <paramref name="batches"/> turns each step's units into training sequences (null:
    /// the units themselves); <paramref name="resumeEvery"/>: <see cref="ResumeEvery"/> (null: a minute).</summary>
    public static TrainRun Create(TrainSettings settings, IReadOnlyList<NativeExample[]> units, string outputRoot, ChannelWriter<TrainResponse> events,
        CancellationToken cancel, IStepBatches? batches = null, float rolloutTemperature = 1f, DeferralProbe? probe = null, TimeSpan? resumeEvery = null) =>
        new(settings, units, outputRoot, events, batches, cancel)
        {
            RolloutTemperature = rolloutTemperature,
            Probe = probe,
            ResumeEvery = resumeEvery ?? TimeSpan.FromMinutes(1),
        };

    /// <summary>COLLM_DEFERRAL: the phase-1 probe whose g becomes the added row's head weights; null for the other kinds.</summary>
    public DeferralProbe? Probe { get; init; }

    /// <summary>How often a running job saves its state for a later resume (<see cref="TrainResume"/>) besides when it is
    /// cancelled: after the first step that ends this long after the previous save, or 20 times as long as that save
    /// took if more; zero: after every step.</summary>
    public TimeSpan ResumeEvery { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The rollout temperature the trainer's policy-gradient log-probs use (1 for the other kinds).</summary>
    public float RolloutTemperature { get; private init; } = 1f;

    /// <summary>Starts the job's thread. The task ends with the result, or with <see cref="OperationCanceledException"/>
    /// or the trainer's error; either way the trainer is freed and <c>events</c> completed first.</summary>
    public Task<TrainResult> Start(string jobId)
    {
        var done = new TaskCompletionSource<TrainResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var result = Run();
                _events.TryComplete();
                done.SetResult(result);
            }
            catch (Exception e)
            {
                _events.TryComplete();
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "moco-train-" + jobId,
        };
        thread.Start();
        return done.Task;
    }

    private TrainResult Run()
    {
        var options = _settings.TrainerOptions(TotalSteps, RolloutTemperature);
        if (Probe is not null)
        {
            var g = Probe.Fit(_settings.Base.Base.Model, _settings.Base.Base.Resolution.Directory!, _units, _settings.Hyper.LearningRate, _cancel);
            options = options with { AddVocabularyRow = true, AddedOutputRow = g };
        }
        using var trainer = MocoTrainer.Create(_settings.Base.Base.Model, options);
        var resume = new TrainResume(_outputRoot, _settings.OutputId, TrainResume.Fingerprint(_settings, _units, RolloutTemperature));
        var resumedAt = resume.TryLoad(trainer);
        var order = Enumerable.Range(0, _units.Count).ToArray();
        var random = new Random(unchecked((int)(_settings.Hyper.Seed ^ (_settings.Hyper.Seed >> 32))));
        var accum = _settings.Hyper.GradAccum;
        var loss = 0.0;
        var step = 0;
        var saved = Stopwatch.GetTimestamp();
        var interval = ResumeEvery;
        try
        {
            for (var epoch = 0; epoch < _settings.Hyper.Epochs; epoch++)
            {
                // Every epoch's shuffle is drawn, resumed or not, so the steps after a resume get the uninterrupted job's batches.
                random.Shuffle(order);
                for (var first = 0; first < MicroBatches; first += accum)
                {
                    if (step < resumedAt)
                    {
                        step++;
                        continue;
                    }
                    loss = Step(trainer, order, epoch, first, step);
                    step++;
                    if (_settings.CheckpointEvery > 0 && step % _settings.CheckpointEvery == 0 && step < TotalSteps)
                    {
                        Save(_settings, trainer, Path.Combine(_outputRoot, $"{_settings.OutputId}-checkpoint-{step}"));
                        _events.TryWrite(new TrainResponse { Checkpoint = new TrainCheckpoint { Step = step } });
                    }
                    if (step < TotalSteps && Stopwatch.GetElapsedTime(saved) >= interval)
                    {
                        var started = Stopwatch.GetTimestamp();
                        resume.Save(trainer, step);
                        saved = Stopwatch.GetTimestamp();
                        // A big model's state takes a while to write: saving stays under 5% of the job's time,
                        // unless every step was asked for (ResumeEvery zero).
                        interval = ResumeEvery == TimeSpan.Zero
                            ? TimeSpan.Zero
                            : TimeSpan.FromTicks(Math.Max(ResumeEvery.Ticks, 20 * Stopwatch.GetElapsedTime(started).Ticks));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (step > resumedAt)
        {
            // The steps taken so far are kept for the same job's next submission; a failure to write them must not
            // hide the cancellation.
            try
            {
                resume.Save(trainer, step);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or MoCo.Native.MocoException)
            {
            }
            throw;
        }
        var directory = Path.Combine(_outputRoot, _settings.OutputId);
        Publish(trainer, directory);
        resume.Delete();
        return new TrainResult(directory, loss);
    }

    // One optimizer step (the job's step-th, from 0) over the micro-batches starting at `first` of this epoch's order,
    // reported as a progress event; returns its loss.
    private double Step(MocoTrainer trainer, int[] order, int epoch, int first, int step)
    {
        var started = Stopwatch.GetTimestamp();
        var micro = _settings.Hyper.MicroBatch;
        var accum = _settings.Hyper.GradAccum;
        var microBatches = Enumerable.Range(first, Math.Min(accum, MicroBatches - first))
            .Select(m => order.Skip(m * micro).Take(micro).ToArray()).ToList();
        foreach (var batch in _batches.ForStep(trainer, step, microBatches))
        {
            _cancel.ThrowIfCancellationRequested();
            trainer.AddBatch(_settings.Loss, batch);
        }
        var stats = trainer.Step();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _events.TryWrite(new TrainResponse
        {
            Progress = new TrainProgress
            {
                Step = step + 1,
                Epoch = epoch + ((double)(first / accum + 1) / StepsPerEpoch),
                Loss = stats.Loss,
                Lr = stats.LearningRate,
                GradNorm = stats.GradNorm,
                TokensPerS = seconds > 0 ? stats.Tokens / seconds : 0,
            },
        });
        return stats.Loss;
    }

    // The final model is written to a staging folder and renamed into place, so its folder exists only complete: the
    // registry takes a content-addressed one it finds there after a restart for the trained model (ModelRegistry).
    private void Publish(MocoTrainer trainer, string directory)
    {
        var staging = Path.Combine(_outputRoot, $".staging-{Guid.NewGuid():N}");
        try
        {
            Save(_settings, trainer, staging);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
            Directory.Move(staging, directory);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Writes the trainer's model into <paramref name="directory"/>, replaced whole (methods-text.md §0.9: it is
    /// deleted first): an adapter that records the registry name of its base, so the registry loads it onto that
    /// resident model, or full weights.</summary>
    public static void Save(TrainSettings settings, MocoTrainer trainer, string directory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(trainer);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        Directory.CreateDirectory(directory);
        if (settings.Lora is null)
        {
            trainer.SaveModel(settings.Base.Base.Resolution.Directory!, directory);
            if (settings.AddToken is { } token)
            {
                AddedToken.Write(directory, token, settings.Base.Info.VocabSize);
            }
            return;
        }
        trainer.SaveAdapter(directory);
        var configPath = Path.Combine(directory, "adapter_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["base_model_name_or_path"] = settings.ServeOn ?? settings.Base.Base.Resolution.Name;
        File.WriteAllText(configPath, config.ToJsonString());
    }
}
