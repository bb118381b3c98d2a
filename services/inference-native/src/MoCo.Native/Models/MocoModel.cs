using MoCo.Native.Inference;
using MoCo.Native.Interop;
using MoCo.Native.Training;

namespace MoCo.Native.Models;

/// <summary>
/// A Hugging Face checkpoint loaded onto a <see cref="MocoContext"/> (<c>moco_model</c>): read-only once
/// loaded, so every member may be called from several threads at once.
/// </summary>
/// <remarks>
/// Ownership: the model keeps its context's native object alive, and every <see cref="MocoAdapter"/> and
/// <see cref="MocoKvCache"/> created from it keeps the model's alive, so disposing in any order is safe: a
/// disposed model refuses new adapters and caches (<see cref="ObjectDisposedException"/>) while the existing
/// ones keep working; the native model is destroyed after the last of them.
/// </remarks>
public sealed unsafe class MocoModel : IDisposable
{
    // Set by Dispose. The handle alone cannot tell: while children hold references on it, SafeHandle keeps it
    // open (IsClosed false) until the last one is released.
    private int _disposed;

    private MocoModel(ModelHandle handle, string directory, ModelInfo info)
    {
        Handle = handle;
        Directory = directory;
        Info = info;
    }

    /// <summary>The directory the model was loaded from.</summary>
    public string Directory { get; }

    /// <summary>Sizes and kind of the model, read at load.</summary>
    public ModelInfo Info { get; }

    /// <summary>Whether <see cref="Dispose"/> has run (adapters and caches may still hold the native model).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal ModelHandle Handle { get; }

    /// <summary>
    /// Loads config.json plus model.safetensors (or the shards of model.safetensors.index.json) from
    /// <paramref name="directory"/> onto the context's device.
    /// </summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.NotFound"/> (directory, config.json, weights or a needed tensor missing),
    /// <see cref="MocoStatus.InvalidArgument"/> (config.json malformed or unsupported),
    /// <see cref="MocoStatus.Io"/> (a malformed or truncated safetensors file); the message names the file
    /// and the fix.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The context was disposed.</exception>
    public static MocoModel Load(MocoContext context, string directory, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDisposed();
        Utf8Text.Validate(directory, nameof(directory));
        options ??= ModelLoadOptions.Default;

        var native = NativeMethods.moco_model_default_options();
        native.StructSize = sizeof(NativeModelOptions);
        native.UseMmap = options.UseMmap ? 1 : 0;

        // Not a `using` local: that would be read-only, and TransferTo must clear this very copy.
        var contextRef = new ParentReference(context.Handle);
        try
        {
            var status = NativeMethods.moco_model_load(context.Handle, directory, &native, out var handle);
            if (status != MocoStatus.Ok)
            {
                handle.Dispose();
                MocoException.ThrowIfFailed(status, "moco_model_load");
            }

            contextRef.TransferTo(handle);
            return new MocoModel(handle, directory, ReadInfo(handle));
        }
        finally
        {
            contextRef.Dispose();
        }
    }

    /// <summary>Loads a PEFT LoRA adapter for this model; see <see cref="MocoAdapter.Load"/>.</summary>
    public MocoAdapter LoadAdapter(string directory) => MocoAdapter.Load(this, directory);

    /// <summary>Creates a KV cache for this model; see <see cref="MocoKvCache.Create"/>.</summary>
    public MocoKvCache CreateKvCache(KvCacheOptions? options = null) => MocoKvCache.Create(this, options);

    /// <summary>Creates a trainer over this model; see <see cref="MocoTrainer.Create"/>.</summary>
    public MocoTrainer CreateTrainer(TrainerOptions? options = null) => MocoTrainer.Create(this, options);

    /// <summary>
    /// Gives up this reference to the native model; it is destroyed once no adapter or cache uses it.
    /// Safe to call more than once.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Handle.Dispose();
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> has run.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <inheritdoc />
    public override string ToString() => $"MocoModel({Info.Architecture}, {Directory})";

    private static ModelInfo ReadInfo(ModelHandle handle)
    {
        var info = new NativeModelInfo { StructSize = sizeof(NativeModelInfo) };
        MocoException.ThrowIfFailed(NativeMethods.moco_model_get_info(handle, &info), "moco_model_get_info");
        return new ModelInfo(
            Architecture: NativeMethods.Utf8(info.Architecture, NativeModelInfo.ArchitectureSize),
            VocabSize: info.VocabSize,
            HiddenSize: info.HiddenSize,
            IntermediateSize: info.IntermediateSize,
            NumLayers: info.NumLayers,
            NumHeads: info.NumHeads,
            NumKvHeads: info.NumKvHeads,
            HeadDim: info.HeadDim,
            MaxPositionEmbeddings: info.MaxPositionEmbeddings,
            OutputSize: info.OutputSize,
            IsClassifier: info.IsClassifier != 0,
            Dtype: (MocoDtype)info.Dtype,
            ParameterCount: info.ParameterCount);
    }
}
