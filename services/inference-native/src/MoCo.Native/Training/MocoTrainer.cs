using System.Buffers;
using MoCo.Native.Interop;
using MoCo.Native.Models;

namespace MoCo.Native.Training;

/// <summary>
/// A trainer over one <see cref="MocoModel"/> (<c>moco_trainer</c>), on the model's device (the CPU context's threads,
/// or the GPU of a <c>cuda:N</c> context): LoRA or full fine-tuning with SFT, DPO, policy-gradient or deferral losses,
/// AdamW and gradient accumulation. Add one or more micro-batches with
/// <see cref="AddBatch"/>, then call <see cref="Step"/>. The model is only read (it is the frozen reference of DPO
/// and the KL term), so inference on it may go on while the trainer runs. Deterministic: the same model, options,
/// seed and batches give bit-identical weights whatever the thread count (on a GPU: run to run on that GPU).
/// </summary>
/// <remarks>
/// The trainer keeps its model's native object alive. libmoco allows one call at a time per trainer, so the calls
/// here are serialised; disposing during a call defers the native destroy until that call returns.
/// </remarks>
public sealed unsafe class MocoTrainer : IDisposable
{
    private readonly object _calls = new();
    private int _disposed;

    private MocoTrainer(TrainerHandle handle, MocoModel model, TrainerOptions options)
    {
        Handle = handle;
        Model = model;
        Options = options;
    }

    /// <summary>The model trained from.</summary>
    public MocoModel Model { get; }

    /// <summary>The settings it was created with.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal TrainerHandle Handle { get; }

    /// <summary>Creates a trainer for a causal LM on the model's context (CPU, or the GPU of a <c>cuda:N</c> context).</summary>
    /// <exception cref="ArgumentException"><see cref="TrainerOptions.AddedOutputRow"/> is neither empty nor hidden_size floats.</exception>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> (an option out of range, named; a classifier model),
    /// <see cref="MocoStatus.OutOfMemory"/> (host memory, or the GPU's: 16 bytes per trained parameter there).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public static MocoTrainer Create(MocoModel model, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        options ??= TrainerOptions.Default;
        if (!options.AddedOutputRow.IsEmpty && options.AddedOutputRow.Length != model.Info.HiddenSize)
        {
            throw new ArgumentException(
                $"AddedOutputRow holds {options.AddedOutputRow.Length} floats but the model's hidden size is {model.Info.HiddenSize}", nameof(options));
        }

        using var row = options.AddedOutputRow.Pin();
        var native = ToNative(options, (float*)row.Pointer);

        // Not a `using` local: that would be read-only, and TransferTo must clear this very copy.
        var modelRef = new ParentReference(model.Handle);
        try
        {
            var status = NativeMethods.moco_trainer_create(model.Handle, &native, out var handle);
            if (status != MocoStatus.Ok)
            {
                handle.Dispose();
                MocoException.ThrowIfFailed(status, "moco_trainer_create");
            }

            modelRef.TransferTo(handle);
            return new MocoTrainer(handle, model, options);
        }
        finally
        {
            modelRef.Dispose();
        }
    }

    /// <summary>
    /// Runs the forward and backward of one micro-batch and accumulates its gradients into the current step. DPO:
    /// examples 2i (chosen) and 2i+1 (rejected) form pair i. All or nothing: on failure nothing is accumulated.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="examples"/> is empty, or an example's mask or mentor log-probs do not hold one value per token
    /// (checked before native code runs, since libmoco trusts the lengths).
    /// </exception>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> (a loss kind other than the step's, a malformed example with its
    /// index and field named, a policy-gradient group of one, DPO with an odd count), <see cref="MocoStatus.Numeric"/>.
    /// </exception>
    public void AddBatch(LossKind lossKind, ReadOnlySpan<TrainExample> examples)
    {
        if (examples.IsEmpty)
        {
            throw new ArgumentException("a micro-batch needs at least one example", nameof(examples));
        }

        for (var i = 0; i < examples.Length; i++)
        {
            CheckExample(examples[i], i);
        }

        var native = new NativeTrainExample[examples.Length];
        var pins = ArrayPool<MemoryHandle>.Shared.Rent(examples.Length * 3);
        try
        {
            for (var i = 0; i < examples.Length; i++)
            {
                var e = examples[i];
                pins[3 * i] = e.Tokens.Pin();
                pins[(3 * i) + 1] = e.TargetMask.Pin();
                pins[(3 * i) + 2] = e.MentorLogprobs.Pin();
                native[i] = new NativeTrainExample
                {
                    Tokens = (int*)pins[3 * i].Pointer,
                    NTokens = e.Tokens.Length,
                    TargetMask = e.TargetMask.IsEmpty ? null : (byte*)pins[(3 * i) + 1].Pointer,
                    Reward = e.Reward,
                    Group = e.Group,
                    MentorLogprobs = e.MentorLogprobs.IsEmpty ? null : (float*)pins[(3 * i) + 2].Pointer,
                };
            }

            lock (_calls)
            {
                ThrowIfDisposed();
                fixed (NativeTrainExample* first = native)
                {
                    MocoException.ThrowIfFailed(
                        NativeMethods.moco_trainer_add_batch(Handle, (int)lossKind, first, examples.Length), "moco_trainer_add_batch");
                }
            }
        }
        finally
        {
            for (var i = 0; i < examples.Length * 3; i++)
            {
                pins[i].Dispose();
                pins[i] = default;
            }

            ArrayPool<MemoryHandle>.Shared.Return(pins);
        }
    }

    /// <summary>
    /// Ends the step: averages the accumulated gradients over the step's units, clips, applies AdamW with this
    /// step's learning rate and clears the accumulation.
    /// </summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> (no micro-batch since the last step), <see cref="MocoStatus.Numeric"/>
    /// (a non-finite gradient: the weights are left unchanged and the step's batches dropped).
    /// </exception>
    public TrainStepStats Step()
    {
        var stats = new NativeTrainStepStats { StructSize = sizeof(NativeTrainStepStats) };
        lock (_calls)
        {
            ThrowIfDisposed();
            MocoException.ThrowIfFailed(NativeMethods.moco_trainer_step(Handle, &stats), "moco_trainer_step");
        }

        return new TrainStepStats(stats.Step, stats.Loss, stats.GradNorm, stats.LearningRate, stats.Tokens, stats.TargetTokens, stats.DpoMargin);
    }

    /// <summary>
    /// Writes the trained LoRA adapter as a PEFT directory (adapter_config.json, adapter_model.safetensors), created
    /// if needed, loadable with <see cref="MocoModel.LoadAdapter"/>.
    /// </summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.InvalidArgument"/> (a full fine-tuning trainer), <see cref="MocoStatus.Io"/>.</exception>
    public void SaveAdapter(string directory)
    {
        Utf8Text.Validate(directory, nameof(directory));
        lock (_calls)
        {
            ThrowIfDisposed();
            MocoException.ThrowIfFailed(NativeMethods.moco_trainer_save_adapter(Handle, directory), "moco_trainer_save_adapter");
        }
    }

    /// <summary>
    /// Writes the trained model as a Hugging Face checkpoint into <paramref name="directory"/>: config.json and the
    /// non-weight files copied from <paramref name="baseDirectory"/>, weights in the model's dtype (a LoRA trainer
    /// writes the merged weights). Loadable with <see cref="MocoModel.Load"/>.
    /// </summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.NotFound"/> (no config.json in <paramref name="baseDirectory"/>), <see cref="MocoStatus.Io"/>.</exception>
    public void SaveModel(string baseDirectory, string directory)
    {
        Utf8Text.Validate(baseDirectory, nameof(baseDirectory));
        Utf8Text.Validate(directory, nameof(directory));
        lock (_calls)
        {
            ThrowIfDisposed();
            MocoException.ThrowIfFailed(NativeMethods.moco_trainer_save_model(Handle, baseDirectory, directory), "moco_trainer_save_model");
        }
    }

    /// <summary>
    /// Writes what the next step depends on - the masters, AdamW's moments, the steps taken and the micro-batches they
    /// consumed - as of the last <see cref="Step"/> (micro-batches added since are not part of it), to one
    /// safetensors file at <paramref name="path"/>, replaced whole (written aside and renamed). A trainer created
    /// with the same model and options continues from it with <see cref="LoadState"/>, bit for bit on the same device.
    /// </summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.Io"/>, <see cref="MocoStatus.OutOfMemory"/>.</exception>
    public void SaveState(string path)
    {
        Utf8Text.Validate(path, nameof(path));
        lock (_calls)
        {
            ThrowIfDisposed();
            MocoException.ThrowIfFailed(NativeMethods.moco_trainer_save_state(Handle, path), "moco_trainer_save_state");
        }
    }

    /// <summary>Continues from a state written by <see cref="SaveState"/>: the next <see cref="Step"/> is the one
    /// that followed it. Only with no micro-batch pending; the file is checked whole before anything changes.</summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> (micro-batches pending; not a trainer state; the state of another model
    /// or options, naming the tensor), <see cref="MocoStatus.NotFound"/>, <see cref="MocoStatus.Io"/>.
    /// </exception>
    public void LoadState(string path)
    {
        Utf8Text.Validate(path, nameof(path));
        lock (_calls)
        {
            ThrowIfDisposed();
            MocoException.ThrowIfFailed(NativeMethods.moco_trainer_load_state(Handle, path), "moco_trainer_load_state");
        }
    }

    /// <summary>Frees the trainer (after a call in flight returns). Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Handle.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"MocoTrainer({Options.Mode}, {Model.Directory})";

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    private static void CheckExample(in TrainExample example, int index)
    {
        var tokens = example.Tokens.Length;
        if (!example.TargetMask.IsEmpty && example.TargetMask.Length != tokens)
        {
            throw new ArgumentException(
                $"example {index}: TargetMask holds {example.TargetMask.Length} flags but Tokens holds {tokens}; give one per token or none", "examples");
        }

        if (!example.MentorLogprobs.IsEmpty && example.MentorLogprobs.Length != tokens)
        {
            throw new ArgumentException(
                $"example {index}: MentorLogprobs holds {example.MentorLogprobs.Length} floats but Tokens holds {tokens}; give one per token or none", "examples");
        }
    }

    private static NativeTrainerOptions ToNative(TrainerOptions o, float* addedOutputRow)
    {
        var native = NativeMethods.moco_trainer_default_options();
        native.StructSize = sizeof(NativeTrainerOptions);
        native.Mode = (int)o.Mode;
        native.LoraRank = o.LoraRank;
        native.LoraAlpha = o.LoraAlpha;
        native.UseRslora = o.UseRsLora ? 1 : 0;
        native.LoraTargets = (uint)o.LoraTargets;
        native.LoraDropout = o.LoraDropout;
        native.LearningRate = o.LearningRate;
        native.AdamBeta1 = o.AdamBeta1;
        native.AdamBeta2 = o.AdamBeta2;
        native.AdamEpsilon = o.AdamEpsilon;
        native.WeightDecay = o.WeightDecay;
        native.MaxGradNorm = o.MaxGradNorm;
        native.Schedule = (int)o.Schedule;
        native.WarmupSteps = o.WarmupSteps;
        native.TotalSteps = o.TotalSteps;
        native.Seed = o.Seed;
        native.DpoBeta = o.DpoBeta;
        native.KlBeta = o.KlBeta;
        native.AddedVocabRows = o.AddVocabularyRow ? 1 : 0;
        native.AddedOutputRow = o.AddedOutputRow.IsEmpty ? null : addedOutputRow;
        native.PgTemperature = o.PgTemperature;
        native.PgTokenMean = o.PgTokenMean ? 1 : 0;
        return native;
    }
}
